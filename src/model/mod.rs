//! Pure domain types and rules: ids, periods, due dates, records and validation. No IO here.

pub mod due;
pub mod fields;
pub mod id;
pub mod merge;
pub mod period;
pub mod records;
pub mod rules;
pub mod text;

pub use due::{Due, parse_date};
pub use id::{Id, check_id, slugify};
pub use period::{Period, PeriodKind};
pub use records::*;
