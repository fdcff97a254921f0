//! Views: widgets drawn from `&State`. Every text that comes from data goes through
//! `sanitize` first, so control characters and bidi overrides are shown escaped.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::app::{Ask, Confirm, EditorError, HistoryState, Pane, Screen, SearchState, State};
use super::form::{FieldKind, Form};
use super::keys::{Action, Context};
use super::strings::{S, field_label, kind_name};
use super::tree::Node;
use crate::model::text::{sanitize, sanitize_line};
use crate::store::layout;

/// Styles, in 16 colours or none at all (`NO_COLOR`).
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }
    pub fn selected(&self, focused: bool) -> Style {
        if focused {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default().add_modifier(Modifier::UNDERLINED)
        }
    }
    pub fn label(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }
    pub fn highlight(&self) -> Style {
        self.fg(Color::Yellow)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan)
        } else {
            self.dim()
        }
    }
}

/// Data text for one line of the screen.
fn safe(s: &str) -> String {
    sanitize_line(s)
}

/// Data text that may span lines: escaped, tabs as spaces, split on newlines.
fn safe_lines(s: &str) -> Vec<String> {
    sanitize(s)
        .replace('\t', "    ")
        .split('\n')
        .map(String::from)
        .collect()
}

/// Word-wraps one line of text to `width` columns (measured with unicode-width), breaking
/// words longer than a line.
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(1);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0;
    for word in line.split_inclusive(' ') {
        let ww = word.trim_end().width();
        if cur_w + ww > width && !cur.is_empty() {
            out.push(cur.trim_end().to_string());
            cur.clear();
            cur_w = 0;
        }
        if ww > width {
            for c in word.chars() {
                let cw = c.width().unwrap_or(0);
                if cur_w + cw > width {
                    out.push(std::mem::take(&mut cur));
                    cur_w = 0;
                }
                cur.push(c);
                cur_w += cw;
            }
        } else {
            cur.push_str(word);
            cur_w += word.width();
        }
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur.trim_end().to_string());
    }
    out
}

/// "key: what" for some actions of a screen, as bound now (config overrides included).
fn key_hints(st: &State, ctx: Context, wanted: &[(Action, S)]) -> String {
    wanted
        .iter()
        .filter_map(|(a, s)| {
            let k = st.keymap.keys_of(ctx, *a).into_iter().next()?;
            Some(format!("{k}: {}", st.t(*s)))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Draws the whole app.
pub fn draw(f: &mut Frame, st: &State) {
    let theme = Theme { color: st.color };
    let area = f.area();
    let [main, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    match st.stack.last() {
        None => browse(f, st, main, &theme),
        Some(Screen::Form(form)) => draw_form(f, st, form, main, &theme),
        Some(Screen::Confirm(c)) => confirm(f, st, c, main, &theme),
        Some(Screen::EditorError(e)) => editor_error(f, st, e, main, &theme),
        Some(Screen::Search(s)) => search(f, st, s, main, &theme),
        Some(Screen::History(h)) => history(f, st, h, main, &theme),
        Some(Screen::Panel(p, scroll)) => {
            let lines: Vec<Line> = p
                .lines
                .iter()
                .flat_map(|l| safe_lines(l))
                .map(Line::from)
                .collect();
            let block = Block::bordered()
                .title(Span::styled(format!(" {} ", safe(&p.title)), theme.title()))
                .border_style(theme.border(true));
            f.render_widget(
                Paragraph::new(lines)
                    .block(block)
                    .wrap(Wrap { trim: false })
                    .scroll((*scroll, 0)),
                main,
            );
        }
    }
    status_bar(f, st, status, &theme);
    if let Some(ask) = st.ask {
        let q = match ask {
            Ask::DiscardForm | Ask::DiscardEditor => st.t(S::DiscardQ),
        };
        popup_text(f, area, q, &theme);
    }
    if let Some(scroll) = st.help {
        help(f, st, scroll, area, &theme);
    }
}

fn status_bar(f: &mut Frame, st: &State, area: Rect, theme: &Theme) {
    let mut spans = vec![Span::styled(
        format!(" {} ", safe(&st.repo_name)),
        theme.title(),
    )];
    if let Some(s) = &st.status {
        let mut b = format!("{} {}", st.t(S::Branch), safe(&s.branch));
        if s.upstream.is_some() {
            b.push_str(&format!(" ↑{} ↓{}", s.ahead, s.behind));
        }
        spans.push(Span::raw(b));
        if !s.uncommitted.is_empty() {
            spans.push(Span::styled(
                format!(" ●{} {}", s.uncommitted.len(), st.t(S::Uncommitted)),
                theme.error(),
            ));
        }
    }
    spans.push(Span::raw(" │ "));
    match &st.message {
        Some(m) if m.error => spans.push(Span::styled(safe(&m.text), theme.error())),
        Some(m) => spans.push(Span::styled(safe(&m.text), theme.ok())),
        None => {
            // The first keys to know, as bound now.
            let ctx = super::app::help_context(st);
            let wanted: &[(Action, S)] = if ctx == Context::Browse {
                &[
                    (Action::Search, S::HintSearch),
                    (Action::Edit, S::HintEdit),
                    (Action::History, S::HintHistory),
                    (Action::Help, S::HintHelp),
                ]
            } else {
                &[(Action::Help, S::HintHelp)]
            };
            let hint: Vec<String> = wanted
                .iter()
                .filter_map(|(a, s)| {
                    let k = st.keymap.keys_of(ctx, *a).into_iter().next()?;
                    Some(format!("{k}: {}", st.t(*s)))
                })
                .collect();
            let hint = if hint.is_empty() {
                st.t(S::HelpHint).to_string()
            } else {
                hint.join(" · ")
            };
            spans.push(Span::styled(hint, theme.dim()));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn row_text(st: &State, node: &Node) -> String {
    let ix = &st.index;
    // While only the first plan is listed, the others' counts are not known yet.
    let count = |p: usize, n: usize| {
        if ix.partial && p > 0 {
            "…".to_string()
        } else {
            n.to_string()
        }
    };
    let label = |path: String| -> String {
        match st.labels.get(&path) {
            Some(l) if !l.is_empty() => format!("  {}", safe(l)),
            _ => String::new(),
        }
    };
    match node {
        Node::Plan(p) => {
            let id = &ix.plans[*p].id;
            format!("{}{}", safe(id), label(layout::plan_path(id)))
        }
        Node::AssignmentGroup(p) => format!(
            "{} ({})",
            st.t(S::Assignments),
            count(*p, ix.plans[*p].assignments.len())
        ),
        Node::Assignment(p, a) => {
            let pe = &ix.plans[*p];
            let id = &pe.assignments[*a];
            format!("{}{}", safe(id), label(layout::assignment_path(&pe.id, id)))
        }
        Node::ReportGroup(p) => {
            let n: usize = ix.plans[*p].reports.values().map(Vec::len).sum();
            format!("{} ({})", st.t(S::Reports), count(*p, n))
        }
        Node::Period(p, period) => format!(
            "{} ({})",
            safe(period),
            ix.plans[*p].reports.get(period).map_or(0, Vec::len)
        ),
        Node::Report(p, period, a) => {
            let pe = &ix.plans[*p];
            let ag = &pe.reports[period][*a];
            let name = st
                .labels
                .get(&layout::agency_path(ag))
                .map(|l| format!("  {}", safe(l)))
                .unwrap_or_default();
            let status = label(format!("plans/{}/reports/{period}/{ag}.toml", pe.id));
            format!("{}{name}{status}", safe(ag))
        }
        Node::AgencyGroup => format!("{} ({})", st.t(S::Agencies), ix.agencies.len()),
        Node::Agency(a) => {
            let id = &ix.agencies[*a];
            format!("{}{}", safe(id), label(layout::agency_path(id)))
        }
    }
}

fn browse(f: &mut Frame, st: &State, area: Rect, theme: &Theme) {
    let tree_w = (area.width * 2 / 5).clamp(24.min(area.width), 60);
    let [left, right] =
        Layout::horizontal([Constraint::Length(tree_w), Constraint::Min(1)]).areas(area);
    // The tree.
    let focused = st.focus == Pane::Tree;
    let total = if st.index.partial {
        "…".to_string()
    } else {
        st.index.total.to_string()
    };
    let title = format!(" {} ({total}) ", st.t(S::Records));
    let block = Block::bordered()
        .title(Span::styled(title, theme.title()))
        .border_style(theme.border(focused));
    let inner = block.inner(left);
    f.render_widget(block, left);
    let h = usize::from(inner.height);
    if !st.indexed {
        f.render_widget(Paragraph::new(st.t(S::Loading)), inner);
    } else if h > 0 {
        let offset = if st.selected >= h {
            st.selected + 1 - h
        } else {
            0
        };
        let lines: Vec<Line> = st
            .rows
            .iter()
            .enumerate()
            .skip(offset)
            .take(h)
            .map(|(i, r)| {
                let marker = if !r.expandable {
                    "  "
                } else if r.expanded {
                    "▾ "
                } else {
                    "▸ "
                };
                let text = format!(
                    "{}{marker}{}",
                    "  ".repeat(usize::from(r.depth)),
                    row_text(st, &r.node)
                );
                if i == st.selected {
                    let pad = usize::from(inner.width).saturating_sub(text.width());
                    Line::styled(
                        format!("{text}{}", " ".repeat(pad)),
                        theme.selected(focused),
                    )
                } else {
                    Line::raw(text)
                }
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }
    detail(f, st, right, theme);
}

fn detail(f: &mut Frame, st: &State, area: Rect, theme: &Theme) {
    let focused = st.focus == Pane::Detail;
    let title = match &st.detail {
        Some(d) => {
            let mut t = format!(" {} {} ", kind_name(st.lang, d.rr.kind), safe(&d.rr.id));
            if let Some(c) = &d.as_of {
                t.push_str(&format!("@ {} ", c.chars().take(10).collect::<String>()));
            }
            t
        }
        None => format!(" {} ", st.t(S::Detail)),
    };
    let block = Block::bordered()
        .title(Span::styled(title, theme.title()))
        .border_style(theme.border(focused));
    let Some(d) = &st.detail else {
        f.render_widget(
            Paragraph::new(Span::styled(st.t(S::NoRecord), theme.dim())).block(block),
            area,
        );
        return;
    };
    let mut lines: Vec<Line> = Vec::new();
    if let Some(c) = &d.as_of {
        lines.push(Line::styled(
            format!("{} {}", st.t(S::AsOfTitle), safe(c)),
            theme.dim(),
        ));
    }
    if let Some(e) = &d.error {
        lines.push(Line::styled(st.t(S::Unreadable), theme.error()));
        for l in safe_lines(e) {
            lines.push(Line::styled(l, theme.error()));
        }
        lines.push(Line::raw(""));
        for l in safe_lines(&d.text) {
            lines.push(Line::raw(l));
        }
    }
    for (field, value) in &d.fields {
        let name = match field_label(st.lang, field) {
            Some(l) if st.lang == super::Lang::Vi => format!("{l} ({})", safe(field)),
            _ => safe(field),
        };
        if value.contains('\n') || value.width() + name.width() + 4 > usize::from(area.width) {
            lines.push(Line::styled(name, theme.label()));
            let w = usize::from(area.width.saturating_sub(4));
            for l in safe_lines(value) {
                for part in wrap(&l, w) {
                    lines.push(Line::raw(format!("  {part}")));
                }
            }
        } else {
            let v = if value.is_empty() {
                Span::styled(st.t(S::Empty), theme.dim())
            } else {
                Span::raw(safe(value))
            };
            lines.push(Line::from(vec![
                Span::styled(name, theme.label()),
                Span::raw(": "),
                v,
            ]));
        }
    }
    f.render_widget(
        Paragraph::new(Text::from(lines))
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((st.detail_scroll, 0)),
        area,
    );
}

/// The lines of an input, with the cursor drawn as a reversed cell when focused.
fn input_lines(
    ta: &ratatui_textarea::TextArea<'static>,
    focused: bool,
    height: usize,
    width: usize,
) -> Vec<Line<'static>> {
    let ratatui_textarea::DataCursor(row, col) = ta.cursor();
    let all = ta.lines();
    let start = if focused && row >= height {
        row + 1 - height
    } else {
        0
    };
    let cursor = Style::default().add_modifier(Modifier::REVERSED);
    all.iter()
        .enumerate()
        .skip(start)
        .take(height)
        .map(|(i, l)| {
            if focused && i == row {
                let chars: Vec<char> = l.chars().collect();
                let mut before: String = chars[..col.min(chars.len())].iter().collect();
                // Keep the cursor on screen: drop what scrolled off to the left.
                while width > 1 && safe(&before).width() + 1 > width {
                    before.remove(0);
                }
                let at: String = chars.get(col).map(|c| c.to_string()).unwrap_or(" ".into());
                let after: String = chars.iter().skip(col + 1).collect();
                Line::from(vec![
                    Span::raw(safe(&before)),
                    Span::styled(safe(&at), cursor),
                    Span::raw(safe(&after)),
                ])
            } else {
                Line::raw(safe(l))
            }
        })
        .collect()
}

/// The lines of a field's error, wrapped to the form's width.
fn error_lines(form: &Form, i: usize, width: u16) -> Vec<String> {
    match &form.fields[i].error {
        Some(e) => {
            let mut v = wrap(
                &format!("✗ {}", safe(e)),
                usize::from(width.saturating_sub(4)),
            );
            v.truncate(3);
            v
        }
        None => vec![],
    }
}

fn field_height(form: &Form, i: usize, width: u16) -> u16 {
    let f = &form.fields[i];
    let errors = error_lines(form, i, width).len() as u16;
    if f.kind == FieldKind::Multi {
        let n = f
            .input
            .lines()
            .len()
            .clamp(1, if i == form.focus { 6 } else { 3 });
        1 + n as u16 + errors
    } else {
        2 + errors
    }
}

fn draw_form(f: &mut Frame, st: &State, form: &Form, area: Rect, theme: &Theme) {
    let title = format!(
        " {} {} {} ",
        st.t(S::EditTitle),
        kind_name(st.lang, form.rr.kind),
        safe(&form.rr.id)
    );
    let block = Block::bordered()
        .title(Span::styled(title, theme.title()))
        .title_bottom(Span::styled(
            format!(
                " {} ",
                key_hints(
                    st,
                    Context::Form,
                    &[
                        (Action::NextField, S::HintNext),
                        (Action::Save, S::HintSave),
                        (Action::Back, S::HintLeave),
                        (Action::Pick, S::HintPick),
                        (Action::Help, S::HintHelp),
                    ]
                )
            ),
            theme.dim(),
        ))
        .border_style(theme.border(true));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let mut y_area = inner;
    if !form.general.is_empty() {
        let n = form.general.len().min(3) as u16;
        let [top, rest] =
            Layout::vertical([Constraint::Length(n), Constraint::Min(0)]).areas(inner);
        let lines: Vec<Line> = form
            .general
            .iter()
            .take(3)
            .map(|g| Line::styled(safe(g), theme.error()))
            .collect();
        f.render_widget(Paragraph::new(lines), top);
        y_area = rest;
    }
    // Scroll so that the focused field is on screen.
    let heights: Vec<u16> = (0..form.fields.len())
        .map(|i| field_height(form, i, y_area.width))
        .collect();
    let mut first = 0;
    loop {
        let used: u16 = heights[first..=form.focus].iter().sum();
        if used <= y_area.height || first == form.focus {
            break;
        }
        first += 1;
    }
    let mut y = y_area.y;
    let bottom = y_area.y + y_area.height;
    for (i, field) in form.fields.iter().enumerate().skip(first) {
        if y >= bottom {
            break;
        }
        let focused = i == form.focus;
        let name = match field_label(st.lang, &field.path) {
            Some(l) => format!("{l} ({})", field.path),
            None => field.path.clone(),
        };
        let mut label = vec![Span::styled(
            format!("{}{name}", if focused { "▶ " } else { "  " }),
            if focused {
                theme.label().add_modifier(Modifier::REVERSED)
            } else {
                theme.label()
            },
        )];
        if field.changed() {
            label.push(Span::styled(" *", theme.highlight()));
        }
        if field.kind.pickable() {
            label.push(Span::styled(" [F2]", theme.dim()));
        }
        f.render_widget(
            Paragraph::new(Line::from(label)),
            Rect::new(inner.x, y, inner.width, 1),
        );
        y += 1;
        let errors = error_lines(form, i, inner.width);
        let n_err = errors.len() as u16;
        for e in errors {
            if y >= bottom {
                break;
            }
            f.render_widget(
                Paragraph::new(Line::styled(e, theme.error())),
                Rect::new(inner.x + 4, y, inner.width.saturating_sub(4), 1),
            );
            y += 1;
        }
        let h = (heights[i] - 1 - n_err).min(bottom.saturating_sub(y));
        if h == 0 {
            break;
        }
        let r = Rect::new(inner.x + 4, y, inner.width.saturating_sub(4), h);
        let wide = if field.kind == FieldKind::Multi {
            usize::MAX
        } else {
            usize::from(r.width)
        };
        let lines = input_lines(&field.input, focused, usize::from(h), wide);
        let mut p = Paragraph::new(lines);
        if field.kind == FieldKind::Multi {
            p = p.wrap(Wrap { trim: false });
        }
        f.render_widget(p, r);
        y += h;
    }
    if let Some(p) = &form.picker {
        let visible = p.visible();
        let w = area.width.clamp(20, 60).min(area.width);
        let h = (visible.len() as u16 + 3)
            .min(area.height.saturating_sub(2))
            .max(4);
        let r = Rect::new(
            area.x + (area.width - w) / 2,
            area.y + (area.height.saturating_sub(h)) / 2,
            w,
            h,
        );
        f.render_widget(Clear, r);
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", st.t(S::PickTitle)),
                theme.title(),
            ))
            .border_style(theme.border(true));
        let inner = block.inner(r);
        f.render_widget(block, r);
        let rows = usize::from(inner.height.saturating_sub(1));
        let off = if p.selected >= rows {
            p.selected + 1 - rows
        } else {
            0
        };
        let mut lines = vec![Line::from(vec![
            Span::styled("> ", theme.label()),
            Span::raw(safe(&p.filter)),
        ])];
        for (i, (v, l)) in visible.iter().enumerate().skip(off).take(rows) {
            let text = if l.is_empty() {
                safe(v)
            } else {
                format!("{}  {}", safe(v), safe(l))
            };
            lines.push(if i == p.selected {
                Line::styled(text, theme.selected(true))
            } else {
                Line::raw(text)
            });
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}

fn confirm(f: &mut Frame, st: &State, c: &Confirm, area: Rect, theme: &Theme) {
    let block = Block::bordered()
        .title(Span::styled(
            format!(
                " {}: {} {} ",
                st.t(S::ConfirmTitle),
                kind_name(st.lang, c.rr.kind),
                safe(&c.rr.id)
            ),
            theme.title(),
        ))
        .title_bottom(Span::styled(
            format!(
                " {} ",
                key_hints(
                    st,
                    Context::Confirm,
                    &[
                        (Action::Commit, S::HintCommit),
                        (Action::Back, S::HintBackToForm)
                    ]
                )
            ),
            theme.dim(),
        ))
        .border_style(theme.border(true));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let n = (c.changes.len() as u16 + 1).min(inner.height / 2);
    let [top, bottom] = Layout::vertical([Constraint::Length(n), Constraint::Min(1)]).areas(inner);
    let mut lines = vec![Line::styled(st.t(S::Changes), theme.label())];
    for ch in &c.changes {
        lines.push(Line::raw(format!("  {}", safe(&ch.to_string()))));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), top);
    let mblock = Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(st.t(S::CommitMessage), theme.label()))
        .border_style(theme.dim());
    let minner = mblock.inner(bottom);
    f.render_widget(mblock, bottom);
    let lines = input_lines(
        &c.message,
        true,
        usize::from(minner.height),
        usize::from(minner.width),
    );
    f.render_widget(Paragraph::new(lines), minner);
}

fn editor_error(f: &mut Frame, st: &State, e: &EditorError, area: Rect, theme: &Theme) {
    let block = Block::bordered()
        .title(Span::styled(
            format!(" {} {} ", kind_name(st.lang, e.rr.kind), safe(&e.rr.id)),
            theme.title(),
        ))
        .border_style(theme.border(true));
    let mut lines = vec![
        Line::styled(st.t(S::EditorInvalid), theme.error()),
        Line::raw(""),
    ];
    for p in &e.problems {
        lines.push(Line::raw(format!("• {}", safe(p))));
    }
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// Spans of a snippet with its matched ranges highlighted.
fn highlighted(text: &str, ranges: &[(usize, usize)], theme: &Theme) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut pos = 0;
    for &(a, b) in ranges {
        if a < pos || b > text.len() || !text.is_char_boundary(a) || !text.is_char_boundary(b) {
            continue;
        }
        out.push(Span::raw(safe(&text[pos..a])));
        out.push(Span::styled(safe(&text[a..b]), theme.highlight()));
        pos = b;
    }
    out.push(Span::raw(safe(&text[pos..])));
    out
}

fn search(f: &mut Frame, st: &State, s: &SearchState, area: Rect, theme: &Theme) {
    let kind = s.kind.map_or(st.t(S::AllKinds), |k| kind_name(st.lang, k));
    let block = Block::bordered()
        .title(Span::styled(
            format!(" {} [{kind}] ", st.t(S::SearchTitle)),
            theme.title(),
        ))
        .title_bottom(Span::styled(
            format!(" {} ", st.t(S::SearchHint)),
            theme.dim(),
        ))
        .border_style(theme.border(true));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [input, count, list] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    let mut line = vec![Span::styled("/ ", theme.label())];
    line.extend(
        input_lines(
            &s.input,
            true,
            1,
            usize::from(input.width.saturating_sub(2)),
        )
        .into_iter()
        .flat_map(|l| l.spans),
    );
    f.render_widget(Paragraph::new(Line::from(line)), input);
    let query = s.input.lines().join(" ");
    let count_text = if let Some(e) = &s.error {
        safe(e)
    } else if query.trim().is_empty() {
        String::new()
    } else if !st.full_text && !st.labels_ready {
        // Nothing to search through yet.
        st.t(S::Loading).to_string()
    } else if s.hits.is_empty() {
        st.t(S::NoResults).to_string()
    } else if !st.full_text {
        let more = if s.total >= super::app::TITLE_HITS {
            "+"
        } else {
            ""
        };
        let why = match st.search_failed {
            true => S::TitlesOnlyNoIndex,
            false => S::TitlesOnly,
        };
        format!("{}{more} {} · {}", s.total, st.t(S::Results), st.t(why))
    } else if s.total > s.hits.len() {
        format!("{} / {} {}", s.hits.len(), s.total, st.t(S::Results))
    } else {
        format!("{} {}", s.total, st.t(S::Results))
    };
    let style = if s.error.is_some() {
        theme.error()
    } else {
        theme.dim()
    };
    f.render_widget(Paragraph::new(Span::styled(count_text, style)), count);
    // Each hit: a line with kind, id and title; a line of snippet when there is one.
    let per = |h: &super::app::Hit| if h.snippet.is_empty() { 1 } else { 2 };
    let mut lines: Vec<Line> = Vec::new();
    let height = usize::from(list.height);
    let mut first = 0;
    while first < s.selected && s.hits[first..=s.selected].iter().map(per).sum::<usize>() > height {
        first += 1;
    }
    for (i, h) in s.hits.iter().enumerate().skip(first) {
        if lines.len() >= height {
            break;
        }
        let sel = i == s.selected;
        let head = format!(
            "{:<10} {}  {}",
            kind_name(st.lang, h.kind),
            safe(&h.id),
            safe(&h.title)
        );
        lines.push(if sel {
            let pad = usize::from(list.width).saturating_sub(head.width());
            Line::styled(format!("{head}{}", " ".repeat(pad)), theme.selected(true))
        } else {
            Line::raw(head)
        });
        if !h.snippet.is_empty() {
            let mut spans = vec![Span::raw("    ")];
            spans.extend(highlighted(
                &h.snippet.replace('\n', " "),
                &h.highlights,
                theme,
            ));
            lines.push(Line::from(spans));
        }
    }
    f.render_widget(Paragraph::new(lines), list);
}

fn history(f: &mut Frame, st: &State, h: &HistoryState, area: Rect, theme: &Theme) {
    let block = Block::bordered()
        .title(Span::styled(
            format!(" {}: {} ", st.t(S::HistoryTitle), safe(&h.path)),
            theme.title(),
        ))
        .border_style(theme.border(true));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if h.entries.is_empty() {
        let t = if h.loading {
            st.t(S::Loading)
        } else {
            st.t(S::NoHistory)
        };
        f.render_widget(Paragraph::new(Span::styled(t, theme.dim())), inner);
        return;
    }
    let rows = usize::from(inner.height);
    let off = if h.selected >= rows {
        h.selected + 1 - rows
    } else {
        0
    };
    let lines: Vec<Line> = h
        .entries
        .iter()
        .enumerate()
        .skip(off)
        .take(rows)
        .map(|(i, e)| {
            let short: String = e.commit.chars().take(8).collect();
            let text = format!(
                "{short} {} {:<16} {}",
                safe(&e.date),
                safe(&e.author),
                safe(&e.subject)
            );
            if i == h.selected {
                let pad = usize::from(inner.width).saturating_sub(text.width());
                Line::styled(format!("{text}{}", " ".repeat(pad)), theme.selected(true))
            } else {
                Line::raw(text)
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn popup_text(f: &mut Frame, area: Rect, text: &str, theme: &Theme) {
    let w = (text.width() as u16 + 4).min(area.width);
    let h = 3.min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + area.height.saturating_sub(h) / 2,
        w,
        h,
    );
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(text)
            .block(Block::bordered().border_style(theme.border(true)))
            .wrap(Wrap { trim: true }),
        r,
    );
}

fn help(f: &mut Frame, st: &State, scroll: u16, area: Rect, theme: &Theme) {
    let ctx = super::app::help_context(st);
    let entries = st.keymap.help(ctx);
    let kw = entries.iter().map(|(k, _)| k.width()).max().unwrap_or(0);
    let lines: Vec<Line> = entries
        .iter()
        .map(|(k, a)| {
            Line::from(vec![
                Span::styled(format!("{k:<kw$}  "), theme.label()),
                Span::raw(a.describe().get(st.lang)),
            ])
        })
        .collect();
    let avail = area.height.saturating_sub(3);
    let lines = if lines.len() as u16 > avail && area.width >= 70 {
        // Two columns when one does not fit.
        let half = lines.len().div_ceil(2);
        let colw = usize::from(area.width.min(120) - 2) / 2;
        let (a, b) = lines.split_at(half);
        a.iter()
            .enumerate()
            .map(|(i, l)| {
                let mut spans = l.spans.clone();
                let used: usize = spans.iter().map(|s| s.content.width()).sum();
                spans.push(Span::raw(" ".repeat(colw.saturating_sub(used))));
                if let Some(r) = b.get(i) {
                    spans.extend(r.spans.clone());
                }
                Line::from(spans)
            })
            .collect()
    } else {
        lines
    };
    let w = if lines.len() < entries.len() {
        area.width.min(120)
    } else {
        area.width.min(72)
    };
    let h = (lines.len() as u16 + 2).min(area.height.saturating_sub(1));
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + area.height.saturating_sub(h + 1) / 2,
        w,
        h,
    );
    f.render_widget(Clear, r);
    let block = Block::bordered()
        .title(Span::styled(
            format!(" {}: {} ", st.t(S::HelpTitle), ctx.name()),
            theme.title(),
        ))
        .title_bottom(Span::styled(
            format!(" {} ", st.t(S::HelpClose)),
            theme.dim(),
        ))
        .border_style(theme.border(true));
    f.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), r);
}
