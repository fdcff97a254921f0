//! The application state and its pure `update(state, msg) -> effects`. No IO here: every read,
//! write and terminal operation is an [`Effect`], performed by `effects.rs`, whose results come
//! back as [`Msg`]s.

use std::collections::{HashMap, HashSet};

use ratatui_textarea::TextArea;
use unicode_normalization::UnicodeNormalization;

use super::form::{FieldKind, Form, Picker, to_input};
use super::keys::{Action, Code, Context, KeyPress, Keymap};
use super::strings::{Lang, S};
use super::tree::{Index, Node, Row, flatten};
use crate::model::fields::FieldChange;
use crate::store::RecordRef;
use crate::store::layout::{self, Kind};

/// One IO action, performed outside `update`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// List the record files (fast: no parsing) → [`Msg::Indexed`].
    Scan,
    /// Read every record's title in the background → [`Msg::Labels`].
    LoadLabels,
    /// Branch, ahead/behind, uncommitted → [`Msg::Status`].
    LoadStatus,
    /// Read one record → [`Msg::Record`].
    LoadRecord {
        path: String,
    },
    /// Validate a new version and prepare its commit → [`Msg::SaveReady`] or [`Msg::SaveInvalid`].
    PrepareSave {
        origin: Origin,
        rr: RecordRef,
        old: String,
        new: String,
    },
    /// Write and commit → [`Msg::Committed`] or [`Msg::Failed`].
    Commit {
        rr: RecordRef,
        old: String,
        new: String,
        message: String,
    },
    /// Suspend the UI and edit the text in `$EDITOR` → [`Msg::EditorDone`].
    OpenEditor {
        rr: RecordRef,
        old: String,
        text: String,
        problems: Vec<String>,
    },
    /// Full-text search → [`Msg::SearchResults`].
    Search {
        query: String,
        kind: Option<Kind>,
    },
    /// A record's commits → [`Msg::History`].
    LoadHistory {
        path: String,
    },
    /// Open (or build, or with `rebuild` build again) the full-text index in the background →
    /// [`Msg::SearchReady`].
    OpenSearch {
        rebuild: bool,
    },
    /// Bring the full-text index up to date after a commit (background).
    RefreshSearch,
    /// Who last changed each field → [`Msg::Panel`].
    LoadBlame {
        path: String,
    },
    /// The record as it was at a commit → [`Msg::Record`] with `as_of`.
    LoadAsOf {
        path: String,
        commit: String,
    },
    /// Open review requests → [`Msg::Panel`].
    LoadReviews,
    /// Overdue assignments and reporting → [`Msg::Panel`].
    LoadDashboard,
    /// Put text on the clipboard through OSC 52.
    Copy(String),
    /// Ctrl-Z.
    Suspend,
    Quit,
}

/// Where a save started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Form,
    Editor,
}

/// A record as read for the detail pane.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub rr: RecordRef,
    pub text: String,
    /// Field path → value text, in file order.
    pub fields: Vec<(String, String)>,
    /// Set when the file does not parse.
    pub error: Option<String>,
    /// The commit this version comes from, when not the work tree.
    pub as_of: Option<String>,
}

/// Where the work tree stands, for the status bar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoStatus {
    pub branch: String,
    pub upstream: Option<String>,
    pub ahead: usize,
    pub behind: usize,
    /// Records changed and not committed.
    pub uncommitted: Vec<String>,
}

/// One search hit.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub path: String,
    pub kind: Kind,
    pub id: String,
    pub title: String,
    /// Text around the match, with the matched ranges (byte offsets) to highlight.
    pub snippet: String,
    pub highlights: Vec<(usize, usize)>,
}

/// One commit of a record's history.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub commit: String,
    pub date: String,
    pub author: String,
    pub subject: String,
    /// "created", "modified", "renamed", "deleted".
    pub status: String,
    /// The fields this commit changed, one line each.
    pub changes: Vec<String>,
}

/// A panel of lines (reviews, dashboard, blame, diff).
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub title: String,
    pub lines: Vec<String>,
}

/// Titles of every record, and what title search looks through.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labels {
    /// Record path → title (or name).
    pub by_path: HashMap<String, String>,
    /// (path, folded "id title"), in tree order, for search without an index.
    pub folded: Vec<(String, String)>,
}

/// Everything that can happen to the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyPress),
    Paste(String),
    Resize(u16, u16),
    Indexed(Index),
    Labels(Labels),
    Status(RepoStatus),
    Record(Result<Detail, String>),
    SaveReady {
        origin: Origin,
        rr: RecordRef,
        old: String,
        new: String,
        changes: Vec<FieldChange>,
        message: String,
    },
    SaveInvalid {
        origin: Origin,
        rr: RecordRef,
        old: String,
        new: String,
        /// (field, "line:col: message") pairs.
        problems: Vec<(String, String)>,
    },
    NoChange,
    Committed {
        rr: RecordRef,
        commit: String,
        subject: String,
    },
    EditorDone {
        rr: RecordRef,
        old: String,
        text: String,
    },
    SearchResults {
        query: String,
        hits: Vec<Hit>,
        /// How many records match in all (the hits are the best of them).
        total: usize,
        /// The query does not parse: what is wrong, for the search line.
        error: Option<String>,
    },
    /// The full-text index is open; `in_pieces`: it is in pieces (see
    /// [`SearchIndex::in_pieces`](crate::search::SearchIndex::in_pieces)).
    SearchReady {
        in_pieces: bool,
    },
    /// The full-text index failed as it was read (a damaged file): it is put aside and built
    /// again, and titles are searched meanwhile.
    SearchDamaged(String),
    /// The full-text index could not be opened or built: titles are searched.
    SearchFailed(String),
    History {
        path: String,
        entries: Vec<LogEntry>,
    },
    Panel(Panel),
    Info(String),
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Tree,
    Detail,
}

pub struct Confirm {
    pub origin: Origin,
    pub rr: RecordRef,
    pub old: String,
    pub new: String,
    pub changes: Vec<FieldChange>,
    pub message: TextArea<'static>,
}

pub struct EditorError {
    pub rr: RecordRef,
    pub old: String,
    pub text: String,
    pub problems: Vec<String>,
}

pub struct SearchState {
    pub input: TextArea<'static>,
    pub kind: Option<Kind>,
    pub hits: Vec<Hit>,
    /// How many records match in all: the hits are the first of them. Without the full-text
    /// index (while it is being built) titles are searched, and at most [`TITLE_HITS`] found.
    pub total: usize,
    pub selected: usize,
    /// The query the hits answer (results may arrive after more typing).
    pub answered: String,
    /// Why the query does not parse, shown under it.
    pub error: Option<String>,
}

pub struct HistoryState {
    pub path: String,
    pub entries: Vec<LogEntry>,
    pub selected: usize,
    pub loading: bool,
}

pub enum Screen {
    Form(Box<Form>),
    Confirm(Box<Confirm>),
    EditorError(Box<EditorError>),
    Search(Box<SearchState>),
    History(Box<HistoryState>),
    Panel(Panel, u16),
}

/// A yes/no question over the current screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    DiscardForm,
    DiscardEditor,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

pub struct State {
    pub lang: Lang,
    pub keymap: Keymap,
    pub color: bool,
    pub repo_name: String,
    pub status: Option<RepoStatus>,
    pub message: Option<Message>,
    pub index: Index,
    pub indexed: bool,
    /// Record path → title (or name), filled in the background.
    pub labels: HashMap<String, String>,
    pub labels_ready: bool,
    /// (path, folded "id title") for title search.
    pub folded: Vec<(String, String)>,
    pub expanded: HashSet<Node>,
    pub rows: Vec<Row>,
    pub selected: usize,
    pub focus: Pane,
    pub detail: Option<Detail>,
    pub detail_scroll: u16,
    pub stack: Vec<Screen>,
    pub help: Option<u16>,
    pub ask: Option<Ask>,
    pub quit: bool,
    pub size: (u16, u16),
    /// Whether search runs on a full-text index (else on ids and titles).
    pub full_text: bool,
    /// The full-text index could not be opened: titles are searched until it is.
    pub search_failed: bool,
}

impl State {
    pub fn new(lang: Lang, keymap: Keymap, color: bool, repo_name: String) -> State {
        State {
            lang,
            keymap,
            color,
            repo_name,
            status: None,
            message: None,
            index: Index::default(),
            indexed: false,
            labels: HashMap::new(),
            labels_ready: false,
            folded: vec![],
            expanded: HashSet::new(),
            rows: vec![],
            selected: 0,
            focus: Pane::Tree,
            detail: None,
            detail_scroll: 0,
            stack: vec![],
            help: None,
            ask: None,
            quit: false,
            size: (80, 24),
            full_text: false,
            search_failed: false,
        }
    }

    pub fn t(&self, s: S) -> &'static str {
        s.get(self.lang)
    }

    /// The effects to run at start.
    pub fn init() -> Vec<Effect> {
        vec![Effect::Scan, Effect::LoadStatus]
    }

    /// The screen keys go to.
    pub fn context(&self) -> Context {
        if self.help.is_some() {
            return Context::Help;
        }
        match self.stack.last() {
            None => Context::Browse,
            Some(Screen::Form(_)) => Context::Form,
            Some(Screen::Confirm(_)) => Context::Confirm,
            Some(Screen::Search(_)) => Context::Search,
            Some(Screen::History(_)) | Some(Screen::Panel(..)) => Context::History,
            Some(Screen::EditorError(_)) => Context::Confirm,
        }
    }

    pub fn selected_node(&self) -> Option<&Node> {
        self.rows.get(self.selected).map(|r| &r.node)
    }

    /// The record that the browse selection (or the open detail) stands for.
    pub fn selected_record(&self) -> Option<RecordRef> {
        let path = self.selected_node()?.path(&self.index)?;
        let kind = layout::classify(&path)?;
        Some(RecordRef {
            kind,
            id: layout::id_of(kind, &path),
            path,
        })
    }

    fn info(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: false,
        });
    }

    fn error(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: true,
        });
    }

    fn refresh_rows(&mut self) {
        let keep = self.selected_node().cloned();
        self.rows = flatten(&self.index, &self.expanded);
        if let Some(n) = keep
            && let Some(i) = self.rows.iter().position(|r| r.node == n)
        {
            self.selected = i;
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// Moves the selection and loads what it shows.
    fn select(&mut self, i: usize) -> Vec<Effect> {
        if self.rows.is_empty() {
            return vec![];
        }
        let i = i.min(self.rows.len() - 1);
        let changed = i != self.selected || self.detail.is_none();
        self.selected = i;
        if !changed {
            return vec![];
        }
        self.detail_scroll = 0;
        match self.selected_node().and_then(|n| n.path(&self.index)) {
            Some(path) => {
                if self.detail.as_ref().map(|d| &d.rr.path) == Some(&path)
                    && self.detail.as_ref().is_some_and(|d| d.as_of.is_none())
                {
                    vec![]
                } else {
                    vec![Effect::LoadRecord { path }]
                }
            }
            None => {
                self.detail = None;
                vec![]
            }
        }
    }

    /// Shows the record at `path` in the tree, expanding its parents.
    fn reveal(&mut self, path: &str) -> Vec<Effect> {
        let Some(node) = Node::of_path(&self.index, path) else {
            return vec![];
        };
        self.expanded.extend(node.ancestors());
        self.rows = flatten(&self.index, &self.expanded);
        match self.rows.iter().position(|r| r.node == node) {
            Some(i) => {
                self.detail = None;
                self.select(i)
            }
            None => vec![],
        }
    }

    fn page(&self) -> usize {
        // The tree's height: the screen less the status bar and borders.
        usize::from(self.size.1.saturating_sub(4)).max(1)
    }
}

/// Lower-case, without diacritics (đ → d): for matching typed text against titles. The
/// search's folding, so that the tree's filter and full-text search agree.
pub use crate::search::analyzer::fold;

/// The record's fields as (path, value) lines, in file order.
pub fn flatten_fields(t: &toml::Table) -> Vec<(String, String)> {
    fn item_key(t: &toml::Table) -> Option<String> {
        ["id", "assignment", "number", "label"]
            .iter()
            .find_map(|k| t.get(*k).and_then(|v| v.as_str()).map(String::from))
    }
    fn walk(prefix: &str, t: &toml::Table, out: &mut Vec<(String, String)>) {
        for (k, v) in t {
            let p = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::Table(tt) => walk(&p, tt, out),
                toml::Value::Array(a) if !a.is_empty() && a.iter().all(|x| x.is_table()) => {
                    for (i, x) in a.iter().enumerate() {
                        let tt = x.as_table().expect("checked");
                        let key = item_key(tt).unwrap_or_else(|| i.to_string());
                        walk(&format!("{p}[{key}]"), tt, out);
                    }
                }
                toml::Value::Array(a) => {
                    let items: Vec<String> =
                        a.iter().map(crate::model::fields::value_text).collect();
                    // Sentences one per line as a list; short ids on one line.
                    let text = if items.iter().any(|i| i.chars().count() > 40) {
                        items
                            .iter()
                            .map(|i| format!("• {i}"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    } else {
                        items.join(", ")
                    };
                    out.push((p, text))
                }
                v => out.push((p, crate::model::fields::value_text(v))),
            }
        }
    }
    let mut out = Vec::new();
    walk("", t, &mut out);
    out
}

impl Detail {
    pub fn parse(rr: RecordRef, text: String, as_of: Option<String>) -> Detail {
        match toml::from_str::<toml::Table>(&text) {
            Ok(t) => Detail {
                fields: flatten_fields(&t),
                rr,
                text,
                error: None,
                as_of,
            },
            Err(e) => Detail {
                fields: vec![],
                rr,
                error: Some(e.to_string()),
                text,
                as_of,
            },
        }
    }
}

/// The label a record gets in the tree and in search, from its parsed table.
pub fn label_of(kind: Kind, t: &toml::Table) -> String {
    let s = |k: &str| t.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    match kind {
        Kind::Agency => {
            let short = s("short_name");
            if short.is_empty() { s("name") } else { short }
        }
        Kind::Report => s("status"),
        _ => s("title"),
    }
}

/// The pure heart of the app.
pub fn update(st: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(k) => key(st, k),
        Msg::Paste(text) => {
            let text: String = text.nfc().collect();
            match st.stack.last_mut() {
                Some(Screen::Form(f)) => {
                    let i = f.focus;
                    f.fields[i].input.insert_str(&text);
                    vec![]
                }
                Some(Screen::Search(s)) => {
                    s.input.insert_str(text.replace('\n', " "));
                    search_effects(st)
                }
                Some(Screen::Confirm(c)) => {
                    c.message.insert_str(&text);
                    vec![]
                }
                _ => vec![],
            }
        }
        Msg::Resize(w, h) => {
            st.size = (w, h);
            vec![]
        }
        Msg::Indexed(ix) => {
            let first = !st.indexed;
            if !first && ix == st.index {
                return vec![];
            }
            // The full listing after a quick partial one: titles are already being read.
            let after_partial = st.index.partial && !ix.partial;
            st.index = ix;
            st.indexed = true;
            if first {
                // Open the first plan's groups so that there is something to see.
                if !st.index.plans.is_empty() {
                    st.expanded.insert(Node::Plan(0));
                    st.expanded.insert(Node::AssignmentGroup(0));
                }
            }
            let keep = st.detail.as_ref().map(|d| d.rr.path.clone());
            st.refresh_rows();
            let mut fx = if after_partial {
                vec![]
            } else {
                vec![Effect::LoadLabels]
            };
            if let Some(p) = keep {
                fx.extend(st.reveal(&p));
            } else {
                fx.extend(st.select(st.selected));
            }
            fx
        }
        Msg::Labels(l) => {
            st.labels = l.by_path;
            st.folded = l.folded;
            let first = !st.labels_ready;
            st.labels_ready = true;
            // The full-text index opens after the titles are read, not at the same time: on a
            // first open it is built, and the two together would need more memory at once.
            let mut fx = if first {
                vec![Effect::OpenSearch { rebuild: false }]
            } else {
                vec![]
            };
            // A search typed while the titles were read is answered now.
            if !st.full_text {
                fx.extend(search_effects(st));
            }
            fx
        }
        Msg::Status(s) => {
            st.status = Some(s);
            vec![]
        }
        Msg::Record(Ok(d)) => {
            st.detail = Some(d);
            vec![]
        }
        Msg::Record(Err(e)) => {
            st.detail = None;
            st.error(e);
            vec![]
        }
        Msg::SaveReady {
            origin,
            rr,
            old,
            new,
            changes,
            message,
        } => {
            let mut ta = TextArea::new(message.lines().map(String::from).collect());
            ta.set_cursor_line_style(ratatui::style::Style::default());
            if matches!(st.stack.last(), Some(Screen::EditorError(_))) {
                st.stack.pop();
            }
            st.stack.push(Screen::Confirm(Box::new(Confirm {
                origin,
                rr,
                old,
                new,
                changes,
                message: ta,
            })));
            vec![]
        }
        Msg::SaveInvalid {
            origin,
            rr,
            old,
            new,
            problems,
        } => {
            match origin {
                Origin::Form => {
                    if let Some(Screen::Form(f)) = st.stack.last_mut() {
                        f.place_problems(&problems);
                        if let Some(i) = f.fields.iter().position(|x| x.error.is_some()) {
                            f.focus = i;
                        }
                    }
                    let t = st.t(S::FixErrors);
                    st.error(t);
                }
                Origin::Editor => {
                    if matches!(st.stack.last(), Some(Screen::EditorError(_))) {
                        st.stack.pop();
                    }
                    st.stack.push(Screen::EditorError(Box::new(EditorError {
                        rr,
                        old,
                        text: new,
                        problems: problems
                            .into_iter()
                            .map(|(f, m)| if f.is_empty() { m } else { format!("{f}: {m}") })
                            .collect(),
                    })));
                }
            }
            vec![]
        }
        Msg::NoChange => {
            if matches!(st.stack.last(), Some(Screen::EditorError(_))) {
                st.stack.pop();
            }
            let t = st.t(S::EditorNoChange);
            st.info(t);
            vec![]
        }
        Msg::Committed {
            rr,
            commit,
            subject,
        } => {
            while matches!(
                st.stack.last(),
                Some(Screen::Confirm(_) | Screen::Form(_) | Screen::EditorError(_))
            ) {
                st.stack.pop();
            }
            let short: String = commit.chars().take(10).collect();
            let t = format!("{} {short}: {subject}", st.t(S::Committed));
            st.info(t);
            st.detail = None;
            vec![
                Effect::LoadStatus,
                Effect::LoadRecord { path: rr.path },
                Effect::LoadLabels,
                Effect::RefreshSearch,
            ]
        }
        Msg::EditorDone { rr, old, text } => vec![Effect::PrepareSave {
            origin: Origin::Editor,
            rr,
            old,
            new: text,
        }],
        Msg::SearchResults {
            query,
            hits,
            total,
            error,
        } => {
            if let Some(Screen::Search(s)) = st.stack.last_mut() {
                s.answered = query;
                s.hits = hits;
                s.total = total;
                s.error = error;
                s.selected = s.selected.min(s.hits.len().saturating_sub(1));
            }
            vec![]
        }
        Msg::SearchDamaged(e) => {
            st.full_text = false;
            st.info(format!("{} ({e})", st.t(S::IndexDamaged)));
            let mut fx = vec![Effect::OpenSearch { rebuild: true }];
            fx.extend(search_effects(st));
            fx
        }
        Msg::SearchFailed(e) => {
            st.search_failed = true;
            st.error(e);
            vec![]
        }
        Msg::SearchReady { in_pieces } => {
            st.full_text = true;
            st.search_failed = false;
            if in_pieces {
                st.info(st.t(S::IndexInPieces));
            }
            search_effects(st)
        }
        Msg::History { path, entries } => {
            if let Some(Screen::History(h)) = st.stack.last_mut()
                && h.path == path
            {
                h.entries = entries;
                h.loading = false;
            }
            vec![]
        }
        Msg::Panel(p) => {
            st.stack.push(Screen::Panel(p, 0));
            vec![]
        }
        Msg::Info(t) => {
            st.info(t);
            vec![]
        }
        Msg::Failed(e) => {
            if let Some(Screen::History(h)) = st.stack.last_mut() {
                h.loading = false;
            }
            st.error(e);
            vec![]
        }
    }
}

fn key(st: &mut State, k: KeyPress) -> Vec<Effect> {
    if let Some(ask) = st.ask {
        return answer(st, ask, k);
    }
    let ctx = st.context();
    let action = st.keymap.action(ctx, k);
    if st.help.is_some() {
        let n = st.keymap.help(help_context(st)).len() as u16;
        match action {
            Some(Action::Back) => st.help = None,
            Some(Action::Down) => st.help = st.help.map(|s| (s + 1).min(n)),
            Some(Action::Up) => st.help = st.help.map(|s| s.saturating_sub(1)),
            _ => {}
        }
        return vec![];
    }
    if action == Some(Action::Help) {
        st.help = Some(0);
        return vec![];
    }
    if action == Some(Action::Suspend) {
        return vec![Effect::Suspend];
    }
    match st.stack.last() {
        None => browse_key(st, k, action),
        Some(Screen::Form(_)) => form_key(st, k, action),
        Some(Screen::Confirm(_)) => confirm_key(st, k, action),
        Some(Screen::EditorError(_)) => editor_error_key(st, k),
        Some(Screen::Search(_)) => search_key(st, k, action),
        Some(Screen::History(_)) => history_key(st, action),
        Some(Screen::Panel(..)) => {
            if let Some(Screen::Panel(_, scroll)) = st.stack.last_mut() {
                match action {
                    Some(Action::Down) => *scroll = scroll.saturating_add(1),
                    Some(Action::Up) => *scroll = scroll.saturating_sub(1),
                    Some(Action::PageDown) => *scroll = scroll.saturating_add(10),
                    Some(Action::PageUp) => *scroll = scroll.saturating_sub(10),
                    Some(Action::Back) => {
                        st.stack.pop();
                    }
                    _ => {}
                }
            }
            vec![]
        }
    }
}

/// The screen whose keys the help overlay lists.
pub fn help_context(st: &State) -> Context {
    match st.stack.last() {
        None => Context::Browse,
        Some(Screen::Form(_)) => Context::Form,
        Some(Screen::Confirm(_)) | Some(Screen::EditorError(_)) => Context::Confirm,
        Some(Screen::Search(_)) => Context::Search,
        Some(Screen::History(_)) | Some(Screen::Panel(..)) => Context::History,
    }
}

fn answer(st: &mut State, ask: Ask, k: KeyPress) -> Vec<Effect> {
    let yes = matches!(k.code, Code::Char('y' | 'Y' | 'c' | 'C')) && !k.ctrl;
    let no = matches!(k.code, Code::Char('n' | 'N') | Code::Esc);
    if yes {
        st.ask = None;
        match ask {
            Ask::DiscardForm | Ask::DiscardEditor => {
                st.stack.pop();
            }
        }
    } else if no {
        st.ask = None;
    }
    vec![]
}

fn browse_key(st: &mut State, _k: KeyPress, action: Option<Action>) -> Vec<Effect> {
    let Some(action) = action else {
        return vec![];
    };
    let detail_focus = st.focus == Pane::Detail;
    match action {
        Action::Quit => {
            st.quit = true;
            vec![Effect::Quit]
        }
        Action::Focus => {
            st.focus = if detail_focus {
                Pane::Tree
            } else {
                Pane::Detail
            };
            vec![]
        }
        Action::Down if detail_focus => {
            st.detail_scroll = st.detail_scroll.saturating_add(1);
            vec![]
        }
        Action::Up if detail_focus => {
            st.detail_scroll = st.detail_scroll.saturating_sub(1);
            vec![]
        }
        Action::PageDown if detail_focus => {
            st.detail_scroll = st.detail_scroll.saturating_add(st.page() as u16);
            vec![]
        }
        Action::PageUp if detail_focus => {
            st.detail_scroll = st.detail_scroll.saturating_sub(st.page() as u16);
            vec![]
        }
        Action::Top if detail_focus => {
            st.detail_scroll = 0;
            vec![]
        }
        Action::Down => st.select(st.selected + 1),
        Action::Up => st.select(st.selected.saturating_sub(1)),
        Action::Top => st.select(0),
        Action::Bottom => st.select(st.rows.len().saturating_sub(1)),
        Action::PageDown => st.select(st.selected + st.page()),
        Action::PageUp => st.select(st.selected.saturating_sub(st.page())),
        Action::Expand | Action::Open | Action::Collapse => {
            let Some(row) = st.rows.get(st.selected).cloned() else {
                return vec![];
            };
            match action {
                Action::Expand if row.expandable && !row.expanded => {
                    st.expanded.insert(row.node);
                    st.refresh_rows();
                    vec![]
                }
                Action::Expand if row.expandable => st.select(st.selected + 1),
                Action::Expand => {
                    st.focus = Pane::Detail;
                    vec![]
                }
                Action::Open if row.expandable => {
                    if row.expanded {
                        st.expanded.remove(&row.node);
                    } else {
                        st.expanded.insert(row.node);
                    }
                    st.refresh_rows();
                    vec![]
                }
                Action::Open => {
                    st.focus = Pane::Detail;
                    vec![]
                }
                _ => {
                    // Collapse: close this node, or go to its parent.
                    if row.expanded {
                        st.expanded.remove(&row.node);
                        st.refresh_rows();
                        vec![]
                    } else {
                        let parent = row.node.ancestors().pop();
                        match parent.and_then(|p| st.rows.iter().position(|r| r.node == p)) {
                            Some(i) => st.select(i),
                            None => vec![],
                        }
                    }
                }
            }
        }
        Action::Search => {
            let mut input = TextArea::default();
            input.set_cursor_line_style(ratatui::style::Style::default());
            st.stack.push(Screen::Search(Box::new(SearchState {
                input,
                kind: None,
                hits: vec![],
                total: 0,
                selected: 0,
                answered: String::new(),
                error: None,
            })));
            vec![]
        }
        Action::Edit => {
            let Some(d) = st.detail.clone().filter(|d| d.as_of.is_none()) else {
                return vec![];
            };
            match Form::new(d.rr.clone(), d.text.clone()) {
                Ok(f) => {
                    st.stack.push(Screen::Form(Box::new(f)));
                    vec![]
                }
                Err(e) => {
                    st.error(e);
                    vec![]
                }
            }
        }
        Action::EditExternal => {
            let Some(d) = st.detail.clone().filter(|d| d.as_of.is_none()) else {
                return vec![];
            };
            vec![Effect::OpenEditor {
                rr: d.rr,
                old: d.text.clone(),
                text: d.text,
                problems: vec![],
            }]
        }
        Action::History | Action::Blame => {
            let Some(d) = st.detail.clone() else {
                return vec![];
            };
            if action == Action::Blame {
                return vec![Effect::LoadBlame { path: d.rr.path }];
            }
            st.stack.push(Screen::History(Box::new(HistoryState {
                path: d.rr.path.clone(),
                entries: vec![],
                selected: 0,
                loading: true,
            })));
            vec![Effect::LoadHistory { path: d.rr.path }]
        }
        Action::CopyId | Action::CopyPath => {
            let Some(rr) = st.detail.as_ref().map(|d| d.rr.clone()) else {
                return vec![];
            };
            let text = if action == Action::CopyId {
                rr.id
            } else {
                rr.path
            };
            let t = format!("{}: {text}", st.t(S::Copied));
            st.info(t);
            vec![Effect::Copy(text)]
        }
        Action::Back => {
            // Back from a past version to the record as it is now.
            match st.detail.as_ref().filter(|d| d.as_of.is_some()) {
                Some(d) => vec![Effect::LoadRecord {
                    path: d.rr.path.clone(),
                }],
                None => vec![],
            }
        }
        Action::Reviews => vec![Effect::LoadReviews],
        Action::Dashboard => vec![Effect::LoadDashboard],
        Action::Refresh => {
            let t = st.t(S::Reloaded);
            st.info(t);
            st.detail = None;
            vec![Effect::Scan, Effect::LoadStatus, Effect::LoadLabels]
        }
        _ => vec![],
    }
}

fn form_key(st: &mut State, k: KeyPress, action: Option<Action>) -> Vec<Effect> {
    let lang = st.lang;
    let ix = &st.index;
    let Some(Screen::Form(f)) = st.stack.last_mut() else {
        return vec![];
    };
    // The picker takes every key while open.
    if let Some(p) = f.picker.as_mut() {
        let n = p.visible().len();
        match k.code {
            Code::Esc => f.picker = None,
            Code::Down => p.selected = (p.selected + 1).min(n.saturating_sub(1)),
            Code::Up => p.selected = p.selected.saturating_sub(1),
            Code::Enter => {
                let chosen = p.visible().get(p.selected).map(|(v, _)| v.clone());
                f.picker = None;
                if let Some(v) = chosen {
                    let i = f.focus;
                    let field = &mut f.fields[i];
                    let new = if field.kind == FieldKind::AgencyList {
                        let cur = field.value();
                        let mut items: Vec<&str> = cur
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .collect();
                        if !items.contains(&v.as_str()) {
                            items.push(&v);
                        }
                        items.join(", ")
                    } else {
                        v
                    };
                    field.input = TextArea::new(vec![new]);
                    field
                        .input
                        .set_cursor_line_style(ratatui::style::Style::default());
                    field.input.move_cursor(ratatui_textarea::CursorMove::End);
                    f.check(i, &|a| ix.has_agency(a), lang);
                }
            }
            Code::Backspace => {
                p.filter.pop();
                p.selected = 0;
            }
            Code::Char(c) if !k.ctrl => {
                p.filter.push(c);
                p.selected = 0;
            }
            _ => {}
        }
        return vec![];
    }
    let n = f.fields.len();
    match action {
        Some(Action::NextField) => {
            f.focus = (f.focus + 1) % n;
            return vec![];
        }
        Some(Action::PrevField) => {
            f.focus = (f.focus + n - 1) % n;
            return vec![];
        }
        Some(Action::Back) => {
            if f.dirty() {
                st.ask = Some(Ask::DiscardForm);
            } else {
                st.stack.pop();
            }
            return vec![];
        }
        Some(Action::Pick) => {
            open_picker(st);
            return vec![];
        }
        Some(Action::Save) => return save_form(st),
        Some(Action::EditExternal) => {
            // The form's edits so far go to the editor, so nothing typed is lost.
            return match f.build() {
                Ok(text) => vec![Effect::OpenEditor {
                    rr: f.rr.clone(),
                    old: f.text.clone(),
                    text,
                    problems: vec![],
                }],
                Err((i, e)) => {
                    f.focus = i;
                    f.fields[i].error = Some(e);
                    vec![]
                }
            };
        }
        _ => {}
    }
    let i = f.focus;
    let kind = f.fields[i].kind;
    if k.code == Code::Enter && !k.ctrl && !k.alt {
        if kind.pickable() {
            open_picker(st);
            return vec![];
        }
        if kind != FieldKind::Multi {
            f.focus = (f.focus + 1) % n;
            return vec![];
        }
    }
    if kind != FieldKind::Multi && matches!(k.code, Code::Up | Code::Down) {
        f.focus = if k.code == Code::Down {
            (f.focus + 1) % n
        } else {
            (f.focus + n - 1) % n
        };
        return vec![];
    }
    f.fields[i].input.input(to_input(k));
    if let Code::Char(c) = k.code
        && unicode_normalization::char::is_combining_mark(c)
    {
        // Decomposed input (a letter, then its marks) is composed as it is typed.
        compose(&mut f.fields[i].input);
    }
    f.check(i, &|a| ix.has_agency(a), lang);
    vec![]
}

/// Puts a text area's lines in NFC, keeping the cursor after the same text.
pub fn compose(ta: &mut TextArea<'static>) {
    let ratatui_textarea::DataCursor(row, col) = ta.cursor();
    let lines: Vec<String> = ta.lines().iter().map(|l| l.nfc().collect()).collect();
    let new_col = ta.lines()[row]
        .chars()
        .take(col)
        .collect::<String>()
        .nfc()
        .count();
    let style = ta.cursor_line_style();
    let wrap = ta.wrap_mode();
    *ta = TextArea::new(lines);
    ta.set_cursor_line_style(style);
    ta.set_wrap_mode(wrap);
    ta.move_cursor(ratatui_textarea::CursorMove::Jump(
        u16::try_from(row).unwrap_or(u16::MAX),
        u16::try_from(new_col).unwrap_or(u16::MAX),
    ));
}

fn open_picker(st: &mut State) {
    let labels = &st.labels;
    let ix = &st.index;
    let Some(Screen::Form(f)) = st.stack.last_mut() else {
        return;
    };
    let field = &f.fields[f.focus];
    let options: Vec<(String, String)> = match field.kind {
        FieldKind::Choice(opts) => opts
            .iter()
            .map(|o| (o.to_string(), String::new()))
            .collect(),
        FieldKind::Agency | FieldKind::AgencyList => ix
            .agencies
            .iter()
            .map(|a| {
                let label = labels
                    .get(&layout::agency_path(a))
                    .cloned()
                    .unwrap_or_default();
                (a.clone(), label)
            })
            .collect(),
        _ => return,
    };
    let cur = field.value();
    let selected = options.iter().position(|(v, _)| *v == cur).unwrap_or(0);
    f.picker = Some(Picker {
        options,
        filter: String::new(),
        selected,
    });
}

fn save_form(st: &mut State) -> Vec<Effect> {
    let lang = st.lang;
    let ix = &st.index;
    let Some(Screen::Form(f)) = st.stack.last_mut() else {
        return vec![];
    };
    for i in 0..f.fields.len() {
        f.check(i, &|a| ix.has_agency(a), lang);
    }
    if let Some(i) = f.fields.iter().position(|x| x.error.is_some()) {
        f.focus = i;
        let t = st.t(S::FixErrors);
        st.error(t);
        return vec![];
    }
    if !f.dirty() {
        let t = st.t(S::NoChanges);
        st.info(t);
        return vec![];
    }
    match f.build() {
        Ok(new) => vec![Effect::PrepareSave {
            origin: Origin::Form,
            rr: f.rr.clone(),
            old: f.text.clone(),
            new,
        }],
        Err((i, e)) => {
            f.focus = i;
            f.fields[i].error = Some(e);
            let t = st.t(S::FixErrors);
            st.error(t);
            vec![]
        }
    }
}

fn confirm_key(st: &mut State, k: KeyPress, action: Option<Action>) -> Vec<Effect> {
    let Some(Screen::Confirm(c)) = st.stack.last_mut() else {
        return vec![];
    };
    match action {
        Some(Action::Commit) => {
            let message = c.message.lines().join("\n").trim().to_string() + "\n";
            vec![Effect::Commit {
                rr: c.rr.clone(),
                old: c.old.clone(),
                new: c.new.clone(),
                message,
            }]
        }
        Some(Action::Back) => {
            let origin = c.origin;
            if origin == Origin::Editor {
                // Back from an editor save: keep the text, offer to reopen.
                let c = match st.stack.pop() {
                    Some(Screen::Confirm(c)) => c,
                    _ => return vec![],
                };
                st.stack.push(Screen::EditorError(Box::new(EditorError {
                    rr: c.rr,
                    old: c.old,
                    text: c.new,
                    problems: vec![],
                })));
            } else {
                st.stack.pop();
            }
            vec![]
        }
        _ => {
            c.message.input(to_input(k));
            vec![]
        }
    }
}

fn editor_error_key(st: &mut State, k: KeyPress) -> Vec<Effect> {
    let Some(Screen::EditorError(e)) = st.stack.last() else {
        return vec![];
    };
    match k.code {
        Code::Char('r') | Code::Char('e') | Code::Enter => vec![Effect::OpenEditor {
            rr: e.rr.clone(),
            old: e.old.clone(),
            text: e.text.clone(),
            problems: e.problems.clone(),
        }],
        Code::Esc | Code::Char('q') => {
            st.ask = Some(Ask::DiscardEditor);
            vec![]
        }
        _ => vec![],
    }
}

fn search_effects(st: &mut State) -> Vec<Effect> {
    let full_text = st.full_text;
    let Some(Screen::Search(s)) = st.stack.last_mut() else {
        return vec![];
    };
    let query = s.input.lines().join(" ");
    let query: String = query.nfc().collect();
    s.selected = 0;
    if full_text {
        return vec![Effect::Search {
            query,
            kind: s.kind,
        }];
    }
    // Without a full-text index: ids and titles.
    let hits = title_search(&st.folded, &st.labels, &query, s.kind, TITLE_HITS);
    if let Some(Screen::Search(s)) = st.stack.last_mut() {
        s.total = hits.len();
        s.hits = hits;
        s.answered = query;
        s.error = None;
    }
    vec![]
}

/// Records found at most by searching titles (without the full-text index).
pub const TITLE_HITS: usize = 200;

/// Searches ids and titles (diacritics and case ignored), every word must match.
pub fn title_search(
    folded: &[(String, String)],
    labels: &HashMap<String, String>,
    query: &str,
    kind: Option<Kind>,
    limit: usize,
) -> Vec<Hit> {
    let words: Vec<String> = fold(query).split_whitespace().map(String::from).collect();
    if words.is_empty() {
        return vec![];
    }
    let mut out = Vec::new();
    for (path, hay) in folded {
        if out.len() >= limit {
            break;
        }
        if !words.iter().all(|w| hay.contains(w.as_str())) {
            continue;
        }
        let Some(k) = layout::classify(path) else {
            continue;
        };
        if kind.is_some_and(|x| x != k) {
            continue;
        }
        out.push(Hit {
            kind: k,
            id: layout::id_of(k, path),
            snippet: String::new(),
            highlights: vec![],
            title: labels.get(path).cloned().unwrap_or_default(),
            path: path.clone(),
        });
    }
    out
}

/// The title-search corpus: every record of the index with its folded id and title.
pub fn fold_corpus(ix: &Index, labels: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut paths = Vec::with_capacity(ix.total);
    for p in &ix.plans {
        paths.push(layout::plan_path(&p.id));
        for a in &p.assignments {
            paths.push(layout::assignment_path(&p.id, a));
        }
        for (period, ags) in &p.reports {
            for a in ags {
                paths.push(format!("plans/{}/reports/{period}/{a}.toml", p.id));
            }
        }
    }
    for a in &ix.agencies {
        paths.push(layout::agency_path(a));
    }
    use rayon::prelude::*;
    paths
        .into_par_iter()
        .map(|p| {
            let k = layout::classify(&p).expect("index paths are records");
            let hay = fold(&format!(
                "{} {}",
                layout::id_of(k, &p),
                labels.get(&p).map(String::as_str).unwrap_or("")
            ));
            (p, hay)
        })
        .collect()
}

fn search_key(st: &mut State, k: KeyPress, action: Option<Action>) -> Vec<Effect> {
    let Some(Screen::Search(s)) = st.stack.last_mut() else {
        return vec![];
    };
    match action {
        Some(Action::Back) => {
            st.stack.pop();
            vec![]
        }
        Some(Action::Down) => {
            s.selected = (s.selected + 1).min(s.hits.len().saturating_sub(1));
            vec![]
        }
        Some(Action::Up) => {
            s.selected = s.selected.saturating_sub(1);
            vec![]
        }
        Some(Action::Jump) => {
            let Some(hit) = s.hits.get(s.selected).cloned() else {
                return vec![];
            };
            st.stack.pop();
            st.focus = Pane::Tree;
            st.reveal(&hit.path)
        }
        Some(Action::Filter) => {
            s.kind = match s.kind {
                None => Some(Kind::Plan),
                Some(Kind::Plan) => Some(Kind::Assignment),
                Some(Kind::Assignment) => Some(Kind::Report),
                Some(Kind::Report) => Some(Kind::Agency),
                _ => None,
            };
            search_effects(st)
        }
        _ => {
            if matches!(k.code, Code::Enter | Code::Tab | Code::BackTab) {
                return vec![];
            }
            if s.input.input(to_input(k)) {
                if let Code::Char(c) = k.code
                    && unicode_normalization::char::is_combining_mark(c)
                {
                    compose(&mut s.input);
                }
                search_effects(st)
            } else {
                vec![]
            }
        }
    }
}

fn history_key(st: &mut State, action: Option<Action>) -> Vec<Effect> {
    let lang = st.lang;
    let Some(Screen::History(h)) = st.stack.last_mut() else {
        return vec![];
    };
    let n = h.entries.len();
    match action {
        Some(Action::Back) => {
            st.stack.pop();
            vec![]
        }
        Some(Action::Down) => {
            h.selected = (h.selected + 1).min(n.saturating_sub(1));
            vec![]
        }
        Some(Action::Up) => {
            h.selected = h.selected.saturating_sub(1);
            vec![]
        }
        Some(Action::Top) => {
            h.selected = 0;
            vec![]
        }
        Some(Action::Bottom) => {
            h.selected = n.saturating_sub(1);
            vec![]
        }
        Some(Action::Diff) => {
            if let Some(e) = h.entries.get(h.selected) {
                let short: String = e.commit.chars().take(10).collect();
                let mut lines = vec![
                    format!("{short}  {}  {}", e.date, e.author),
                    e.subject.clone(),
                    String::new(),
                    format!("{} ({})", S::Changes.get(lang), e.status),
                ];
                lines.extend(e.changes.iter().map(|c| format!("  {c}")));
                let title = format!("{}: {}", S::DiffTitle.get(lang), h.path);
                st.stack.push(Screen::Panel(Panel { title, lines }, 0));
            }
            vec![]
        }
        Some(Action::Blame) => vec![Effect::LoadBlame {
            path: h.path.clone(),
        }],
        Some(Action::AsOf) => match h.entries.get(h.selected) {
            Some(e) => {
                let fx = vec![Effect::LoadAsOf {
                    path: h.path.clone(),
                    commit: e.commit.clone(),
                }];
                st.stack.pop();
                fx
            }
            None => vec![],
        },
        Some(Action::CopyId) => match h.entries.get(h.selected) {
            Some(e) => vec![Effect::Copy(e.commit.clone())],
            None => vec![],
        },
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with(paths: &[&str]) -> State {
        let mut st = State::new(Lang::En, Keymap::default(), false, "repo".into());
        let paths: Vec<String> = paths.iter().map(|s| s.to_string()).collect();
        update(&mut st, Msg::Indexed(Index::from_paths(&paths)));
        st
    }

    #[test]
    fn moving_down_loads_the_record() {
        let mut st = state_with(&[
            "plans/p/plan.toml",
            "plans/p/assignments/a01.toml",
            "agencies/x.toml",
        ]);
        // Rows: plan, assignments group, a01, reports group?, agencies group.
        let fx = update(&mut st, Msg::Key(KeyPress::ch('j')));
        assert!(fx.is_empty(), "a group has no record: {fx:?}");
        let fx = update(&mut st, Msg::Key(KeyPress::ch('j')));
        assert_eq!(
            fx,
            vec![Effect::LoadRecord {
                path: "plans/p/assignments/a01.toml".into()
            }]
        );
    }

    #[test]
    fn quit_and_help() {
        let mut st = state_with(&["agencies/x.toml"]);
        update(&mut st, Msg::Key(KeyPress::ch('?')));
        assert_eq!(st.context(), Context::Help);
        update(&mut st, Msg::Key(KeyPress::plain(Code::Esc)));
        assert_eq!(st.context(), Context::Browse);
        assert_eq!(
            update(&mut st, Msg::Key(KeyPress::ch('q'))),
            vec![Effect::Quit]
        );
    }

    #[test]
    fn decomposed_input_is_composed_as_typed() {
        let mut ta = TextArea::new(vec!["Vie".into()]);
        ta.move_cursor(ratatui_textarea::CursorMove::End);
        ta.insert_char('\u{0302}');
        ta.insert_char('\u{0323}');
        compose(&mut ta);
        assert_eq!(ta.lines(), ["Việ"]);
        assert_eq!(ta.cursor(), ratatui_textarea::DataCursor(0, 3));
        ta.insert_char('t');
        assert_eq!(ta.lines(), ["Việt"]);
    }

    #[test]
    fn saving_an_unchanged_form_commits_nothing() {
        let mut st = state_with(&["agencies/x.toml"]);
        let rr = RecordRef {
            kind: Kind::Agency,
            path: "agencies/x.toml".into(),
            id: "x".into(),
        };
        let text = "id = \"x\"\nname = \"Sở X\"\nkind = \"department\"\n".to_string();
        st.stack
            .push(Screen::Form(Box::new(Form::new(rr, text).unwrap())));
        let fx = update(&mut st, Msg::Key(KeyPress::ctrl('s')));
        assert!(fx.is_empty());
        assert_eq!(st.message.as_ref().unwrap().text, "Nothing changed.");
        // A required field left empty is refused before anything is asked of the store.
        update(&mut st, Msg::Key(KeyPress::plain(Code::End)));
        for _ in 0..10 {
            update(&mut st, Msg::Key(KeyPress::plain(Code::Backspace)));
        }
        assert!(update(&mut st, Msg::Key(KeyPress::ctrl('s'))).is_empty());
        let Some(Screen::Form(f)) = st.stack.last() else {
            panic!("still in the form")
        };
        assert_eq!(f.fields[0].error.as_deref(), Some("must not be empty"));
    }

    #[test]
    fn folding_ignores_diacritics() {
        assert_eq!(fold("Đề nghị Sở Y tế"), "de nghi so y te");
    }
}
