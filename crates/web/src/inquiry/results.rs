//! An inquiry's results as pages show them: per question and answer, per
//! municipality and per channel, from the counts kept as answers come;
//! bars drawn as server-side SVG (right to left in Arabic), the same
//! numbers in tables.

use crate::i18n::Tr;
use crate::kit::page::Orgs;
use diwan_domain::inquiry::{AnswerChannel, Question, QuestionKind};
use diwan_store::{AnswerCount, Inquiry};

/// One answer of a question and how many gave it.
pub struct AnswerRow {
    pub label: String,
    pub n: i64,
    /// Of the question's answers, in whole percent.
    pub percent: i64,
    /// By channel, in [`AnswerChannel::ALL`]'s order.
    pub by_channel: Vec<i64>,
    /// The bar's start and width in the chart, in percent of its width.
    pub bar_x: i64,
    pub bar_w: i64,
    /// Where the bar's text sits (its end), and how it is anchored.
    pub text_x: i64,
}

/// One municipality's answers to a question.
pub struct PlaceRow {
    pub name: String,
    /// By answer, in the question's order.
    pub by_answer: Vec<i64>,
    pub total: i64,
}

/// One question's results.
pub struct QuestionResults {
    pub number: usize,
    pub text: String,
    pub answers: Vec<AnswerRow>,
    pub total: i64,
    pub places: Vec<PlaceRow>,
    /// The chart's height, in pixels.
    pub height: usize,
}

/// The label of answer `key` of `q`.
pub fn answer_label(tr: &Tr<'static>, q: &Question, key: &str) -> String {
    match q.kind {
        QuestionKind::SingleChoice => key
            .parse::<usize>()
            .ok()
            .and_then(|i| q.options.get(i.wrapping_sub(1)))
            .map(|o| format!("{key}. {o}"))
            .unwrap_or_else(|| key.to_owned()),
        QuestionKind::YesNo => tr.t_code("inquiry-answer-", key),
        QuestionKind::Scale => key.to_owned(),
        QuestionKind::FreeText => tr.t("inquiry-answer-text"),
    }
}

/// The results of `i` from `counts`, the bars drawn from the right when
/// `rtl`.
pub fn results(
    tr: &Tr<'static>,
    orgs: &Orgs,
    i: &Inquiry,
    counts: &[AnswerCount],
    rtl: bool,
) -> Vec<QuestionResults> {
    i.questions
        .iter()
        .enumerate()
        .map(|(position, q)| {
            let mine: Vec<&AnswerCount> = counts
                .iter()
                .filter(|c| c.position == position as i32)
                .collect();
            let keys = q.answer_keys();
            let total: i64 = mine.iter().map(|c| c.n).sum();
            let max = keys
                .iter()
                .map(|k| {
                    mine.iter()
                        .filter(|c| &c.key == k)
                        .map(|c| c.n)
                        .sum::<i64>()
                })
                .max()
                .unwrap_or(0)
                .max(1);
            let answers = keys
                .iter()
                .map(|k| {
                    let of = |ch: AnswerChannel| {
                        mine.iter()
                            .filter(|c| &c.key == k && c.channel == ch)
                            .map(|c| c.n)
                            .sum::<i64>()
                    };
                    let n: i64 = mine.iter().filter(|c| &c.key == k).map(|c| c.n).sum();
                    // The bar takes at most 55 % of the width, so that its figure fits
                    // beside it on a phone.
                    let w = n * 55 / max;
                    let (bar_x, text_x) = if rtl {
                        (100 - w, 100 - w - 1)
                    } else {
                        (0, w + 1)
                    };
                    AnswerRow {
                        label: answer_label(tr, q, k),
                        n,
                        percent: if total > 0 { n * 100 / total } else { 0 },
                        by_channel: AnswerChannel::ALL.iter().map(|c| of(*c)).collect(),
                        bar_x,
                        bar_w: w,
                        text_x,
                    }
                })
                .collect::<Vec<_>>();
            let mut places: Vec<PlaceRow> = Vec::new();
            let mut seen: Vec<Option<uuid::Uuid>> =
                mine.iter().map(|c| c.municipality_id).collect();
            seen.sort();
            seen.dedup();
            for m in seen {
                let by_answer: Vec<i64> = keys
                    .iter()
                    .map(|k| {
                        mine.iter()
                            .filter(|c| c.municipality_id == m && &c.key == k)
                            .map(|c| c.n)
                            .sum()
                    })
                    .collect();
                places.push(PlaceRow {
                    name: m
                        .map(|m| orgs.name(m))
                        .unwrap_or_else(|| tr.t("no-municipality")),
                    total: by_answer.iter().sum(),
                    by_answer,
                });
            }
            places.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.name.cmp(&b.name)));
            QuestionResults {
                number: position + 1,
                text: q.text.ar.clone(),
                height: answers.len() * 28 + 8,
                answers,
                total,
                places,
            }
        })
        .collect()
}

/// The response rate, in tenths of a percent.
pub fn rate(i: &Inquiry) -> String {
    if i.recipients == 0 {
        return "0".into();
    }
    let permille = i.respondents * 1000 / i.recipients;
    format!("{}.{}", permille / 10, permille % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_in_tenths_of_a_percent() {
        let mut i = crate::inquiry::tests::sample_inquiry();
        i.recipients = 3;
        i.respondents = 1;
        assert_eq!(rate(&i), "33.3");
        i.recipients = 0;
        assert_eq!(rate(&i), "0");
    }
}
