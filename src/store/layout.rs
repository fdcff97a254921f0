//! Where each kind of record lives under the data root.

use crate::model::Period;

/// The kinds of file a data repository holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Config,
    Agency,
    Plan,
    Assignment,
    Report,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Config => "config",
            Kind::Agency => "agency",
            Kind::Plan => "plan",
            Kind::Assignment => "assignment",
            Kind::Report => "report",
        }
    }

    /// The schema file that describes this kind.
    pub fn schema_file(self) -> &'static str {
        match self {
            Kind::Config => "kehoach.schema.json",
            Kind::Agency => "agency.schema.json",
            Kind::Plan => "plan.schema.json",
            Kind::Assignment => "assignment.schema.json",
            Kind::Report => "report.schema.json",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "agency" | "agencies" => Kind::Agency,
            "plan" | "plans" => Kind::Plan,
            "assignment" | "assignments" => Kind::Assignment,
            "report" | "reports" => Kind::Report,
            _ => return None,
        })
    }
}

pub const CONFIG_FILE: &str = "kehoach.toml";

/// What kind of record a path (relative to the data root, '/'-separated) holds, if any.
pub fn classify(rel: &str) -> Option<Kind> {
    if rel == CONFIG_FILE {
        return Some(Kind::Config);
    }
    let parts: Vec<&str> = rel.split('/').collect();
    if !rel.ends_with(".toml") {
        return None;
    }
    match parts.as_slice() {
        ["agencies", _] => Some(Kind::Agency),
        ["plans", _, "plan.toml"] => Some(Kind::Plan),
        ["plans", _, "assignments", _] => Some(Kind::Assignment),
        ["plans", _, "reports", _, _] => Some(Kind::Report),
        _ => None,
    }
}

pub fn agency_path(id: &str) -> String {
    format!("agencies/{id}.toml")
}

pub fn plan_path(id: &str) -> String {
    format!("plans/{id}/plan.toml")
}

pub fn assignment_path(plan: &str, id: &str) -> String {
    format!("plans/{plan}/assignments/{id}.toml")
}

pub fn report_path(plan: &str, period: &Period, agency: &str) -> String {
    format!("plans/{plan}/reports/{period}/{agency}.toml")
}

/// The `#:schema` line for a file at `rel`, pointing into the data root's schemas/ folder.
pub fn schema_line(kind: Kind, rel: &str) -> String {
    let depth = rel.matches('/').count();
    let up = if depth == 0 {
        "./".to_string()
    } else {
        "../".repeat(depth)
    };
    format!("#:schema {up}schemas/{}", kind.schema_file())
}

/// The id a path's record is known by: the file stem for agencies and assignments, the folder for
/// plans, `PERIOD/AGENCY` for reports.
pub fn id_of(kind: Kind, rel: &str) -> String {
    let parts: Vec<&str> = rel.split('/').collect();
    let stem = |s: &str| s.trim_end_matches(".toml").to_string();
    match (kind, parts.as_slice()) {
        (Kind::Plan, [_, plan, _]) => plan.to_string(),
        (Kind::Report, [_, _, _, period, agency]) => format!("{period}/{}", stem(agency)),
        (_, [.., last]) => stem(last),
        _ => rel.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_paths() {
        assert_eq!(classify("kehoach.toml"), Some(Kind::Config));
        assert_eq!(classify("agencies/so-y-te.toml"), Some(Kind::Agency));
        assert_eq!(classify("plans/p/plan.toml"), Some(Kind::Plan));
        assert_eq!(
            classify("plans/p/assignments/a01.toml"),
            Some(Kind::Assignment)
        );
        assert_eq!(
            classify("plans/p/reports/2025-h1/so-y-te.toml"),
            Some(Kind::Report)
        );
        assert_eq!(classify("plans/p/notes.toml"), None);
        assert_eq!(classify("README.md"), None);
    }

    #[test]
    fn schema_lines() {
        assert_eq!(
            schema_line(Kind::Config, "kehoach.toml"),
            "#:schema ./schemas/kehoach.schema.json"
        );
        assert_eq!(
            schema_line(Kind::Report, "plans/p/reports/2025/x.toml"),
            "#:schema ../../../../schemas/report.schema.json"
        );
    }
}
