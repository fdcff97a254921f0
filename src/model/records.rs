//! The record kinds as they are stored, one TOML file each.
//!
//! Field names are English snake_case; text is Vietnamese in NFC. Unknown fields are refused.
//! Dates are strings `YYYY-MM-DD` (checked by the rules, so that an error can name the field).

use serde::{Deserialize, Serialize};

use super::due::Due;
use super::period::{Period, PeriodKind};

fn is_empty(s: &str) -> bool {
    s.is_empty()
}

/// What kind of body an agency is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    /// A specialised department of a provincial people's committee (Sở).
    Department,
    /// A people's committee (Ủy ban nhân dân), provincial or district level.
    PeoplesCommittee,
    /// A people's council (Hội đồng nhân dân).
    PeoplesCouncil,
    Court,
    Procuracy,
    /// The Fatherland Front and its member organisations.
    Front,
    Police,
    StatisticsOffice,
    Ministry,
    /// A unit inside a ministry or agency (Cục, Vụ, phòng).
    Unit,
    Office,
    Other,
}

impl AgencyKind {
    pub const ALL: [AgencyKind; 12] = [
        AgencyKind::Department,
        AgencyKind::PeoplesCommittee,
        AgencyKind::PeoplesCouncil,
        AgencyKind::Court,
        AgencyKind::Procuracy,
        AgencyKind::Front,
        AgencyKind::Police,
        AgencyKind::StatisticsOffice,
        AgencyKind::Ministry,
        AgencyKind::Unit,
        AgencyKind::Office,
        AgencyKind::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AgencyKind::Department => "department",
            AgencyKind::PeoplesCommittee => "peoples_committee",
            AgencyKind::PeoplesCouncil => "peoples_council",
            AgencyKind::Court => "court",
            AgencyKind::Procuracy => "procuracy",
            AgencyKind::Front => "front",
            AgencyKind::Police => "police",
            AgencyKind::StatisticsOffice => "statistics_office",
            AgencyKind::Ministry => "ministry",
            AgencyKind::Unit => "unit",
            AgencyKind::Office => "office",
            AgencyKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agency {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub short_name: String,
    pub kind: AgencyKind,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub parent: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub valid_from: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub valid_until: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub successor: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub notes: String,
}

impl Agency {
    /// The short name when there is one, else the full name.
    pub fn label(&self) -> &str {
        if self.short_name.is_empty() {
            &self.name
        } else {
            &self.short_name
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Draft,
    InReview,
    Issued,
    Closed,
}

/// A document the plan is based on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalDoc {
    pub number: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub date: String,
    pub issuer: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    pub id: String,
    pub number: String,
    pub text: String,
}

/// A lettered point under a duty (a, b, c …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DutyItem {
    pub label: String,
    pub text: String,
}

/// One numbered paragraph of the section that organises the work (IV. TỔ CHỨC THỰC HIỆN).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Duty {
    pub number: String,
    /// Who the paragraph addresses, as written ("Sở Y tế", "Đề nghị Tòa án nhân dân tỉnh").
    pub addressee: String,
    /// The agencies it addresses, by id.
    #[serde(default)]
    pub agencies: Vec<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<DutyItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// The line as written in the list of recipients.
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agencies: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signer {
    /// "KT. CHỦ TỊCH" when signing on behalf of the head; empty otherwise.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub on_behalf_of: String,
    pub title: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reporting {
    /// How often agencies report.
    pub period: PeriodKind,
    /// Days after the end of a period by which the report is due.
    pub due_days: u32,
    /// The agency reports are sent to.
    pub to: String,
    /// The first period reports are expected for.
    pub first_period: Period,
    /// The last period, when the plan has an end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_period: Option<Period>,
}

/// Headings of the four sections, as the document writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Headings {
    pub purposes: String,
    pub tasks: String,
    pub funding: String,
    pub organization: String,
}

impl Default for Headings {
    fn default() -> Self {
        Headings {
            purposes: "MỤC ĐÍCH YÊU CẦU".into(),
            tasks: "NHIỆM VỤ VÀ GIẢI PHÁP".into(),
            funding: "KINH PHÍ THỰC HIỆN".into(),
            organization: "TỔ CHỨC THỰC HIỆN".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub id: String,
    /// The document number; blank in a draft.
    #[serde(default)]
    pub number: String,
    /// The document symbol after the number ("KH-UBND").
    #[serde(default, skip_serializing_if = "is_empty")]
    pub symbol: String,
    /// The issuing agency.
    pub issuer: String,
    pub place: String,
    /// `YYYY-MM-DD`, `YYYY-MM` while a draft has only its month, or blank.
    #[serde(default)]
    pub date: String,
    pub title: String,
    pub status: PlanStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub legal_basis: Vec<LegalDoc>,
    /// The opening paragraph that cites the basis.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub preamble: String,
    #[serde(default)]
    pub headings: Headings,
    #[serde(default)]
    pub purposes: Vec<String>,
    #[serde(default)]
    pub tasks: Vec<Task>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub funding: String,
    #[serde(default)]
    pub duties: Vec<Duty>,
    /// The closing paragraph after the duties.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub closing: String,
    #[serde(default)]
    pub recipients: Vec<Recipient>,
    pub signer: Signer,
    pub reporting: Reporting,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub notes: String,
}

impl Plan {
    /// The day the plan assigns its work, from which its recurring deadlines count: its date
    /// (`YYYY-MM` counts as the first of the month), else the first day of its first reporting
    /// period.
    pub fn assigns_work_on(&self) -> jiff::civil::Date {
        super::rules::parse_plan_date(&self.date)
            .ok()
            .flatten()
            .unwrap_or_else(|| self.reporting.first_period.start())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkStatus {
    NotStarted,
    InProgress,
    Done,
    Cancelled,
}

impl WorkStatus {
    pub fn is_open(self) -> bool {
        matches!(self, WorkStatus::NotStarted | WorkStatus::InProgress)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    pub id: String,
    pub plan: String,
    /// Ids of the plan's tasks this assignment serves.
    pub tasks: Vec<String>,
    pub lead: String,
    #[serde(default)]
    pub coordinating: Vec<String>,
    pub title: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub output: String,
    pub due: Due,
    pub status: WorkStatus,
    /// Where in the plan the assignment comes from ("IV.3.c").
    #[serde(default, skip_serializing_if = "is_empty")]
    pub source: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub notes: String,
}

impl Assignment {
    /// True when the agency leads or coordinates this assignment.
    pub fn involves(&self, agency: &str) -> bool {
        self.lead == agency || self.coordinating.iter().any(|a| a == agency)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Draft,
    Submitted,
    Accepted,
    Returned,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportEntry {
    pub assignment: String,
    pub status: WorkStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<u8>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub results: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub difficulties: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub proposals: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub plan: String,
    pub agency: String,
    pub period: Period,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub submitted_on: String,
    pub status: ReportStatus,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub summary: String,
    #[serde(default)]
    pub entries: Vec<ReportEntry>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub notes: String,
}

/// A reviewer and the paths they may approve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reviewer {
    pub name: String,
    pub email: String,
    /// Path patterns relative to the data root (`plans/*/reports/**`); `**` matches any depth.
    pub paths: Vec<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub agency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewPolicy {
    #[serde(default = "default_branch")]
    pub protected_branch: String,
    #[serde(default = "one")]
    pub approvals: u32,
    #[serde(default)]
    pub allow_self_approval: bool,
    /// The commit from which the policy holds (set by `kehoach init`).
    #[serde(default, skip_serializing_if = "is_empty")]
    pub since: String,
    #[serde(default)]
    pub reviewers: Vec<Reviewer>,
}

fn default_branch() -> String {
    "main".into()
}
fn one() -> u32 {
    1
}

impl Default for ReviewPolicy {
    fn default() -> Self {
        ReviewPolicy {
            protected_branch: default_branch(),
            approvals: 1,
            allow_self_approval: false,
            since: String::new(),
            reviewers: vec![],
        }
    }
}

/// `kehoach.toml`: settings of a data repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub format_version: u32,
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub name: String,
    #[serde(default)]
    pub review: ReviewPolicy,
}

fn default_languages() -> Vec<String> {
    vec!["vi".into(), "en".into()]
}

/// The format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
