//! Reporting periods: `2025`, `2025-h1`, `2025-q3`, `2025-06`.

use jiff::civil::Date;
use std::fmt;
use std::str::FromStr;

/// How long a reporting period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Year,
    HalfYear,
    Quarter,
    Month,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Year => "year",
            PeriodKind::HalfYear => "half_year",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Month => "month",
        }
    }
}

/// One reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Year(i16),
    Half(i16, u8),
    Quarter(i16, u8),
    Month(i16, u8),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a period: write 2025, 2025-h1, 2025-q3 or 2025-06")]
pub struct PeriodError(pub String);

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PeriodError(s.to_string());
        let (year, rest) = match s.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (s, None),
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let y: i16 = year.parse().map_err(|_| err())?;
        if !(1900..=2999).contains(&y) {
            return Err(err());
        }
        let Some(rest) = rest else {
            return Ok(Period::Year(y));
        };
        let num = |t: &str, max: u8| -> Result<u8, PeriodError> {
            if t.is_empty() || t.len() > 2 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            let n: u8 = t.parse().map_err(|_| err())?;
            if n == 0 || n > max { Err(err()) } else { Ok(n) }
        };
        if let Some(h) = rest.strip_prefix('h') {
            Ok(Period::Half(y, num(h, 2)?))
        } else if let Some(q) = rest.strip_prefix('q') {
            Ok(Period::Quarter(y, num(q, 4)?))
        } else if rest.len() == 2 {
            Ok(Period::Month(y, num(rest, 12)?))
        } else {
            Err(err())
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Year(y) => write!(f, "{y}"),
            Period::Half(y, h) => write!(f, "{y}-h{h}"),
            Period::Quarter(y, q) => write!(f, "{y}-q{q}"),
            Period::Month(y, m) => write!(f, "{y}-{m:02}"),
        }
    }
}

impl Period {
    pub fn kind(&self) -> PeriodKind {
        match self {
            Period::Year(_) => PeriodKind::Year,
            Period::Half(..) => PeriodKind::HalfYear,
            Period::Quarter(..) => PeriodKind::Quarter,
            Period::Month(..) => PeriodKind::Month,
        }
    }

    pub fn year(&self) -> i16 {
        match *self {
            Period::Year(y) | Period::Half(y, _) | Period::Quarter(y, _) | Period::Month(y, _) => y,
        }
    }

    /// First and last month (1-based, inclusive).
    fn months(&self) -> (i8, i8) {
        match *self {
            Period::Year(_) => (1, 12),
            Period::Half(_, h) => {
                let s = (h as i8 - 1) * 6 + 1;
                (s, s + 5)
            }
            Period::Quarter(_, q) => {
                let s = (q as i8 - 1) * 3 + 1;
                (s, s + 2)
            }
            Period::Month(_, m) => (m as i8, m as i8),
        }
    }

    /// First day of the period.
    pub fn start(&self) -> Date {
        let (m, _) = self.months();
        Date::new(self.year(), m, 1).expect("period start is a valid date")
    }

    /// Last day of the period.
    pub fn end(&self) -> Date {
        let (_, m) = self.months();
        Date::new(self.year(), m, 1)
            .expect("period month is valid")
            .last_of_month()
    }

    pub fn contains(&self, d: Date) -> bool {
        self.start() <= d && d <= self.end()
    }

    /// The period of the given kind that contains `d`.
    pub fn containing(kind: PeriodKind, d: Date) -> Period {
        let y = d.year();
        let m = d.month() as u8;
        match kind {
            PeriodKind::Year => Period::Year(y),
            PeriodKind::HalfYear => Period::Half(y, if m <= 6 { 1 } else { 2 }),
            PeriodKind::Quarter => Period::Quarter(y, (m - 1) / 3 + 1),
            PeriodKind::Month => Period::Month(y, m),
        }
    }

    /// The period right after this one, of the same kind.
    pub fn next(&self) -> Period {
        let next_day = self.end().tomorrow().expect("dates stay in range");
        Period::containing(self.kind(), next_day)
    }

    /// All periods of `kind` that overlap `self` (e.g. the halves of a year).
    pub fn split(&self, kind: PeriodKind) -> Vec<Period> {
        let mut out = Vec::new();
        let mut p = Period::containing(kind, self.start());
        while p.start() <= self.end() {
            out.push(p);
            p = p.next();
        }
        out
    }
}

impl serde::Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_form() {
        for s in [
            "2025", "2025-h1", "2025-h2", "2025-q3", "2025-06", "2024-12",
        ] {
            let p: Period = s.parse().unwrap();
            assert_eq!(p.to_string(), s);
        }
    }

    #[test]
    fn rejects_bad_periods() {
        for s in [
            "", "25", "2025-h3", "2025-q0", "2025-13", "2025-6", "2025-H1", "2025-", "abcd",
        ] {
            assert!(s.parse::<Period>().is_err(), "{s}");
        }
    }

    #[test]
    fn bounds() {
        let p: Period = "2024-q1".parse().unwrap();
        assert_eq!(p.start().to_string(), "2024-01-01");
        assert_eq!(p.end().to_string(), "2024-03-31");
        let feb: Period = "2024-02".parse().unwrap();
        assert_eq!(feb.end().to_string(), "2024-02-29");
        let h2: Period = "2025-h2".parse().unwrap();
        assert_eq!(h2.end().to_string(), "2025-12-31");
        assert_eq!(h2.next().to_string(), "2026-h1");
        let y: Period = "2025".parse().unwrap();
        let halves: Vec<String> = y
            .split(PeriodKind::HalfYear)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(halves, ["2025-h1", "2025-h2"]);
    }
}
