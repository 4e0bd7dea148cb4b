## The national inquiry.

inquiry-options-count = A single-choice question has two to nine options; other questions have none.
