## L'enquête nationale.

inquiry-options-count = Une question à choix unique a de deux à neuf options ; les autres questions n'en ont pas.
