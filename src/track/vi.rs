//! Vietnamese wording of numbers, dates, periods and due rules in documents.

use crate::model::{Due, Period};

/// A day or month as official documents write it: two digits below 10 for days, below 3 for
/// months ("ngày 05 tháng 01", "ngày 15 tháng 4").
fn dd(day: i8) -> String {
    format!("{day:02}")
}
fn mm(month: i8) -> String {
    if month < 3 {
        format!("{month:02}")
    } else {
        month.to_string()
    }
}

/// "Số: 12/KH-UBND", or "Số: KH-UBND" while the number is blank.
pub fn number_line(number: &str, symbol: &str) -> String {
    match (number.trim(), symbol.trim()) {
        ("", s) => format!("Số: {s}").trim_end().to_string(),
        (n, "") => format!("Số: {n}"),
        (n, s) => format!("Số: {n}/{s}"),
    }
}

/// "ngày 08 tháng 4 năm 2025"; "ngày tháng 4 năm 2025" for a draft that has only its month;
/// "ngày tháng năm" when blank.
pub fn date_words(date: &str) -> String {
    if let Some(d) = crate::model::parse_date(date) {
        return format!(
            "ngày {} tháng {} năm {}",
            dd(d.day()),
            mm(d.month()),
            d.year()
        );
    }
    if date.len() == 7
        && let Some(d) = crate::model::parse_date(&format!("{date}-01"))
    {
        return format!("ngày tháng {} năm {}", mm(d.month()), d.year());
    }
    "ngày tháng năm".to_string()
}

/// "Bình Thuận, ngày tháng 4 năm 2025".
pub fn place_date_line(place: &str, date: &str) -> String {
    format!("{}, {}", place.trim(), date_words(date))
}

/// "15/01", "20/7".
pub fn day_month(day: i8, month: i8) -> String {
    format!("{}/{}", dd(day), mm(month))
}

/// "31/12/2025".
pub fn short_date(d: jiff::civil::Date) -> String {
    format!("{}/{}/{}", dd(d.day()), mm(d.month()), d.year())
}

/// A due rule in words, for documents.
pub fn due_text(due: &Due) -> String {
    let dm = |m: u8, d: u8| {
        let last = jiff::civil::Date::new(2024, m as i8, 1)
            .map(|x| x.days_in_month())
            .unwrap_or(31);
        if d as i8 >= last && d > 28 {
            format!("ngày cuối tháng {}", mm(m as i8))
        } else {
            day_month(d as i8, m as i8)
        }
    };
    match *due {
        Due::On(d) => short_date(d),
        Due::Continuous => "Thường xuyên".into(),
        Due::Yearly { month, day } => format!("Hằng năm, hạn {}", dm(month, day)),
        Due::HalfYearly { month, day } => {
            format!(
                "6 tháng một lần, hạn {} và {}",
                dm(month, day),
                dm(month + 6, day)
            )
        }
        Due::Quarterly { month, day } => format!(
            "Hằng quý, hạn {}",
            (0..4)
                .map(|q| dm(month + 3 * q, day))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Due::Monthly { day } if day > 28 => "Hằng tháng, hạn ngày cuối tháng".into(),
        Due::Monthly { day } => format!("Hằng tháng, hạn ngày {}", dd(day as i8)),
    }
}

/// "6 tháng đầu năm 2025", "quý III năm 2025", "tháng 6 năm 2025", "năm 2025".
pub fn period_words(p: Period) -> String {
    match p {
        Period::Year(y) => format!("năm {y}"),
        Period::Half(y, 1) => format!("6 tháng đầu năm {y}"),
        Period::Half(y, _) => format!("6 tháng cuối năm {y}"),
        Period::Quarter(y, q) => {
            format!(
                "quý {} năm {y}",
                ["I", "II", "III", "IV"][(q as usize - 1).min(3)]
            )
        }
        Period::Month(y, m) => format!("tháng {m} năm {y}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_forms() {
        assert_eq!(number_line("", "KH-UBND"), "Số: KH-UBND");
        assert_eq!(number_line("125", "KH-UBND"), "Số: 125/KH-UBND");
        assert_eq!(
            place_date_line("Bình Thuận", "2025-04"),
            "Bình Thuận, ngày tháng 4 năm 2025"
        );
        assert_eq!(date_words("2025-01-05"), "ngày 05 tháng 01 năm 2025");
        assert_eq!(date_words("2025-12-15"), "ngày 15 tháng 12 năm 2025");
        assert_eq!(date_words(""), "ngày tháng năm");
        assert_eq!(
            due_text(&"half-yearly:01-15".parse().unwrap()),
            "6 tháng một lần, hạn 15/01 và 15/7"
        );
        assert_eq!(
            due_text(&"monthly:31".parse().unwrap()),
            "Hằng tháng, hạn ngày cuối tháng"
        );
        assert_eq!(
            due_text(&"quarterly:03-20".parse().unwrap()),
            "Hằng quý, hạn 20/3, 20/6, 20/9, 20/12"
        );
        assert_eq!(
            due_text(&"yearly:02-29".parse().unwrap()),
            "Hằng năm, hạn ngày cuối tháng 02"
        );
        assert_eq!(
            period_words("2025-h1".parse().unwrap()),
            "6 tháng đầu năm 2025"
        );
    }
}
