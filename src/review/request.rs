//! A review request as stored in git: `request.toml` in a commit under
//! `refs/kehoach/reviews/<id>`; each change of state is a new commit whose message says what
//! happened and why, so `git log refs/kehoach/reviews/<id>` is the request's history.

use serde::{Deserialize, Serialize};

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Draft,
    InReview,
    ChangesRequested,
    /// Approved by some, waiting for more approvals.
    Approved,
    Merged,
    Rejected,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::InReview => "in_review",
            State::ChangesRequested => "changes_requested",
            State::Approved => "approved",
            State::Merged => "merged",
            State::Rejected => "rejected",
        }
    }

    /// Vietnamese label for screens.
    pub fn label_vi(self) -> &'static str {
        match self {
            State::Draft => "nháp",
            State::InReview => "đang xem xét",
            State::ChangesRequested => "cần sửa",
            State::Approved => "đã duyệt một phần",
            State::Merged => "đã hợp nhất",
            State::Rejected => "bị từ chối",
        }
    }

    /// Open: may still be approved, changed or rejected.
    pub fn is_open(self) -> bool {
        !matches!(self, State::Merged | State::Rejected)
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that happened to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// submitted, resubmitted, approved, changes_requested, rejected, merged, imported.
    pub kind: String,
    pub name: String,
    pub email: String,
    /// Seconds since the epoch.
    pub at: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The branch commit the event is about.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub commit: String,
}

/// A request to merge a change branch into the protected branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The change branch (`review/thu-nv/a01`).
    pub branch: String,
    /// The branch it is to be merged into.
    pub target: String,
    /// The branch commit submitted for review: what an approval merges.
    pub head: String,
    pub author_name: String,
    pub author_email: String,
    pub created: i64,
    pub updated: i64,
    pub state: State,
    /// The merge commit, once merged.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub merge_commit: String,
    #[serde(default)]
    pub events: Vec<Event>,
}

impl Request {
    pub fn to_toml(&self) -> String {
        format!(
            "# A kehoach review request; its history is `git log refs/kehoach/reviews/{}`.\n{}",
            self.id,
            toml::to_string(self).expect("a request serialises")
        )
    }

    pub fn from_toml(text: &str) -> Result<Request, String> {
        toml::from_str(text).map_err(|e| e.message().to_string())
    }

    /// Approvals of the current head (an approval of an older head does not count).
    pub fn approvals(&self) -> Vec<&Event> {
        let mut seen: Vec<&Event> = Vec::new();
        for e in &self.events {
            if e.kind == "approved"
                && e.commit == self.head
                && !seen
                    .iter()
                    .any(|s| super::policy::same_email(&s.email, &e.email))
            {
                seen.push(e);
            }
        }
        seen
    }

    /// Everyone who reviewed (approved, asked for changes or rejected), once each, in order.
    pub fn reviewers(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        for e in &self.events {
            if ["approved", "changes_requested", "rejected"].contains(&e.kind.as_str())
                && !out
                    .iter()
                    .any(|(_, m)| super::policy::same_email(m, &e.email))
            {
                out.push((&e.name, &e.email));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let r = Request {
            id: 3,
            title: "Gia hạn a01".into(),
            description: "Lý do:\n- chậm".into(),
            branch: "review/thu/a01".into(),
            target: "main".into(),
            head: "abc".into(),
            author_name: "Nguyễn Văn Thử".into(),
            author_email: "thu@example.vn".into(),
            created: 1,
            updated: 2,
            state: State::InReview,
            merge_commit: String::new(),
            events: vec![Event {
                kind: "approved".into(),
                name: "Lan".into(),
                email: "lan@x".into(),
                at: 3,
                message: String::new(),
                commit: "abc".into(),
            }],
        };
        let text = r.to_toml();
        assert_eq!(Request::from_toml(&text).unwrap(), r);
        assert_eq!(r.approvals().len(), 1);
    }
}
