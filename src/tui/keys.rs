//! Keys, named actions and the keymap of each screen. The help overlay is generated from here;
//! a config file may rebind any action.

use std::collections::BTreeMap;
use std::fmt;

use super::strings::S;

/// A key as the application sees it, whatever the terminal backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

/// A key with its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPress {
    pub code: Code,
    pub ctrl: bool,
    pub alt: bool,
}

impl KeyPress {
    pub const fn plain(code: Code) -> KeyPress {
        KeyPress {
            code,
            ctrl: false,
            alt: false,
        }
    }
    pub const fn ch(c: char) -> KeyPress {
        KeyPress::plain(Code::Char(c))
    }
    pub const fn ctrl(c: char) -> KeyPress {
        KeyPress {
            code: Code::Char(c),
            ctrl: true,
            alt: false,
        }
    }

    /// Parses `j`, `J`, `enter`, `ctrl-s`, `alt-x`, `f2`, `space`, `shift-tab`.
    pub fn parse(s: &str) -> Option<KeyPress> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("c-") {
                ctrl = true;
                rest = &rest[2..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" | "cr" => Code::Enter,
            "esc" | "escape" => Code::Esc,
            "tab" => Code::Tab,
            "backtab" | "shift-tab" | "s-tab" => Code::BackTab,
            "backspace" | "bs" => Code::Backspace,
            "delete" | "del" => Code::Delete,
            "up" => Code::Up,
            "down" => Code::Down,
            "left" => Code::Left,
            "right" => Code::Right,
            "home" => Code::Home,
            "end" => Code::End,
            "pageup" | "pgup" => Code::PageUp,
            "pagedown" | "pgdn" => Code::PageDown,
            "space" => Code::Char(' '),
            l if l.len() >= 2 && l.starts_with('f') && l[1..].parse::<u8>().is_ok() => {
                Code::F(l[1..].parse().ok()?)
            }
            _ => {
                let mut cs = rest.chars();
                let c = cs.next()?;
                if cs.next().is_some() {
                    return None;
                }
                Code::Char(if ctrl { c.to_ascii_lowercase() } else { c })
            }
        };
        Some(KeyPress { code, ctrl, alt })
    }
}

impl fmt::Display for KeyPress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            Code::Char(' ') => f.write_str("Space"),
            Code::Char(c) if self.ctrl => write!(f, "{}", c.to_ascii_uppercase()),
            Code::Char(c) => write!(f, "{c}"),
            Code::Enter => f.write_str("Enter"),
            Code::Esc => f.write_str("Esc"),
            Code::Tab => f.write_str("Tab"),
            Code::BackTab => f.write_str("Shift-Tab"),
            Code::Backspace => f.write_str("Backspace"),
            Code::Delete => f.write_str("Delete"),
            Code::Up => f.write_str("↑"),
            Code::Down => f.write_str("↓"),
            Code::Left => f.write_str("←"),
            Code::Right => f.write_str("→"),
            Code::Home => f.write_str("Home"),
            Code::End => f.write_str("End"),
            Code::PageUp => f.write_str("PgUp"),
            Code::PageDown => f.write_str("PgDn"),
            Code::F(n) => write!(f, "F{n}"),
        }
    }
}

/// Where keys are read: each screen has its own bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Browse,
    Search,
    History,
    Form,
    Confirm,
    Help,
}

impl Context {
    pub const ALL: [Context; 6] = [
        Context::Browse,
        Context::Search,
        Context::History,
        Context::Form,
        Context::Confirm,
        Context::Help,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Context::Browse => "browse",
            Context::Search => "search",
            Context::History => "history",
            Context::Form => "form",
            Context::Confirm => "confirm",
            Context::Help => "help",
        }
    }
}

macro_rules! actions {
    ($($name:ident = $id:literal, $desc:ident;)*) => {
        /// What a key does.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($name),* }
        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$name),*];
            /// The name used in the config file.
            pub fn name(self) -> &'static str {
                match self { $(Action::$name => $id),* }
            }
            pub fn describe(self) -> S {
                match self { $(Action::$name => S::$desc),* }
            }
            pub fn from_name(s: &str) -> Option<Action> {
                match s { $($id => Some(Action::$name),)* _ => None }
            }
        }
    };
}

actions! {
    Up = "up", ActUp;
    Down = "down", ActDown;
    Collapse = "collapse", ActCollapse;
    Expand = "expand", ActExpand;
    Open = "open", ActOpen;
    Top = "top", ActTop;
    Bottom = "bottom", ActBottom;
    PageUp = "page_up", ActPageUp;
    PageDown = "page_down", ActPageDown;
    Focus = "focus", ActFocus;
    Search = "search", ActSearch;
    Help = "help", ActHelp;
    Quit = "quit", ActQuit;
    Back = "back", ActBack;
    Edit = "edit", ActEdit;
    EditExternal = "edit_external", ActEditExternal;
    History = "history", ActHistory;
    Blame = "blame", ActBlame;
    AsOf = "as_of", ActAsOf;
    Diff = "diff", ActDiff;
    CopyId = "copy_id", ActCopyId;
    CopyPath = "copy_path", ActCopyPath;
    Reviews = "reviews", ActReviews;
    Dashboard = "dashboard", ActDashboard;
    Refresh = "refresh", ActRefresh;
    Suspend = "suspend", ActSuspend;
    NextField = "next_field", ActNextField;
    PrevField = "prev_field", ActPrevField;
    Save = "save", ActSave;
    Pick = "pick", ActPick;
    Commit = "commit", ActCommit;
    Filter = "filter", ActFilter;
    Jump = "jump", ActJump;
}

/// The bindings of every screen.
#[derive(Debug, Clone)]
pub struct Keymap {
    pub bindings: BTreeMap<Context, Vec<(KeyPress, Action)>>,
}

fn k(s: &str) -> KeyPress {
    KeyPress::parse(s).expect("default keys parse")
}

impl Default for Keymap {
    fn default() -> Self {
        use Action::*;
        let nav = |extra: &[(&str, Action)]| -> Vec<(KeyPress, Action)> {
            let mut v: Vec<(KeyPress, Action)> = [
                ("j", Down),
                ("down", Down),
                ("k", Up),
                ("up", Up),
                ("g", Top),
                ("home", Top),
                ("G", Bottom),
                ("end", Bottom),
                ("pageup", PageUp),
                ("ctrl-b", PageUp),
                ("pagedown", PageDown),
                ("ctrl-f", PageDown),
            ]
            .iter()
            .map(|(s, a)| (k(s), *a))
            .collect();
            v.extend(extra.iter().map(|(s, a)| (k(s), *a)));
            v
        };
        let mut bindings = BTreeMap::new();
        bindings.insert(
            Context::Browse,
            nav(&[
                ("h", Collapse),
                ("left", Collapse),
                ("l", Expand),
                ("right", Expand),
                ("enter", Open),
                ("tab", Focus),
                ("/", Search),
                ("e", Edit),
                ("E", EditExternal),
                ("L", History),
                ("b", Blame),
                ("y", CopyId),
                ("Y", CopyPath),
                ("R", Reviews),
                ("D", Dashboard),
                ("ctrl-r", Refresh),
                ("ctrl-z", Suspend),
                ("?", Help),
                ("esc", Back),
                ("q", Quit),
                ("ctrl-c", Quit),
            ]),
        );
        bindings.insert(
            Context::Search,
            vec![
                (k("down"), Down),
                (k("ctrl-n"), Down),
                (k("up"), Up),
                (k("ctrl-p"), Up),
                (k("enter"), Jump),
                (k("tab"), Filter),
                (k("esc"), Back),
                (k("f1"), Help),
            ],
        );
        bindings.insert(
            Context::History,
            nav(&[
                ("enter", Diff),
                ("b", Blame),
                ("a", AsOf),
                ("y", CopyId),
                ("esc", Back),
                ("q", Back),
                ("?", Help),
            ]),
        );
        bindings.insert(
            Context::Form,
            vec![
                (k("tab"), NextField),
                (k("backtab"), PrevField),
                (k("ctrl-s"), Save),
                (k("f2"), Pick),
                (k("ctrl-p"), Pick),
                (k("ctrl-e"), EditExternal),
                (k("esc"), Back),
                (k("f1"), Help),
            ],
        );
        bindings.insert(
            Context::Confirm,
            vec![(k("ctrl-s"), Commit), (k("esc"), Back), (k("f1"), Help)],
        );
        bindings.insert(
            Context::Help,
            vec![
                (k("j"), Down),
                (k("down"), Down),
                (k("k"), Up),
                (k("up"), Up),
                (k("esc"), Back),
                (k("?"), Back),
                (k("q"), Back),
            ],
        );
        Keymap { bindings }
    }
}

/// A problem in the `[keys]` table of the config file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config [keys.{context}] {action}: {message}")]
pub struct KeyConfigError {
    pub context: String,
    pub action: String,
    pub message: String,
}

impl Keymap {
    /// The action bound to a key on a screen.
    pub fn action(&self, ctx: Context, key: KeyPress) -> Option<Action> {
        let list = self.bindings.get(&ctx)?;
        list.iter()
            .find(|(kp, _)| *kp == key)
            .or_else(|| {
                // Terminals report Shift-letters as the upper-case letter, sometimes with Shift.
                list.iter().find(|(kp, _)| {
                    kp.ctrl == key.ctrl
                        && kp.alt == key.alt
                        && matches!((kp.code, key.code), (Code::Char(a), Code::Char(b)) if a == b)
                })
            })
            .map(|(_, a)| *a)
    }

    /// Keys of an action on a screen, for hints.
    pub fn keys_of(&self, ctx: Context, action: Action) -> Vec<KeyPress> {
        self.bindings
            .get(&ctx)
            .map(|l| {
                l.iter()
                    .filter(|(_, a)| *a == action)
                    .map(|(k, _)| *k)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The help of a screen: each action once, with all its keys, in binding order.
    pub fn help(&self, ctx: Context) -> Vec<(String, Action)> {
        let mut out: Vec<(String, Action)> = Vec::new();
        for (key, action) in self.bindings.get(&ctx).into_iter().flatten() {
            match out.iter_mut().find(|(_, a)| a == action) {
                Some((keys, _)) => {
                    keys.push_str(", ");
                    keys.push_str(&key.to_string());
                }
                None => out.push((key.to_string(), *action)),
            }
        }
        out
    }

    /// Applies `[keys.CONTEXT] action = "key"` or `["key", "key"]` overrides: the keys given
    /// replace the action's default keys on that screen.
    pub fn apply(&mut self, table: &toml::Table) -> Result<(), KeyConfigError> {
        for (ctx_name, v) in table {
            let err = |action: &str, message: String| KeyConfigError {
                context: ctx_name.clone(),
                action: action.to_string(),
                message,
            };
            let ctx = Context::ALL
                .into_iter()
                .find(|c| c.name() == ctx_name)
                .ok_or_else(|| {
                    err(
                        "",
                        format!(
                            "unknown screen; screens are {}",
                            Context::ALL.map(|c| c.name()).join(", ")
                        ),
                    )
                })?;
            let Some(t) = v.as_table() else {
                return Err(err("", "must be a table of action = key".into()));
            };
            for (action_name, keys) in t {
                let action = Action::from_name(action_name)
                    .ok_or_else(|| err(action_name, "unknown action".into()))?;
                let names: Vec<String> = match keys {
                    toml::Value::String(s) => vec![s.clone()],
                    toml::Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map(String::from))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| err(action_name, "keys must be strings".into()))?,
                    _ => return Err(err(action_name, "must be a key or a list of keys".into())),
                };
                let mut parsed = Vec::new();
                for n in &names {
                    parsed.push(KeyPress::parse(n).ok_or_else(|| {
                        err(
                            action_name,
                            format!("{n:?} is not a key (write j, J, enter, ctrl-s, f2 …)"),
                        )
                    })?);
                }
                let list = self.bindings.entry(ctx).or_default();
                list.retain(|(kp, a)| *a != action && !parsed.contains(kp));
                for kp in parsed {
                    list.push((kp, action));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_print() {
        assert_eq!(KeyPress::parse("ctrl-s"), Some(KeyPress::ctrl('s')));
        assert_eq!(KeyPress::parse("J"), Some(KeyPress::ch('J')));
        assert_eq!(KeyPress::parse("f2"), Some(KeyPress::plain(Code::F(2))));
        assert_eq!(KeyPress::parse("space"), Some(KeyPress::ch(' ')));
        assert_eq!(KeyPress::parse("nonsense"), None);
        assert_eq!(KeyPress::ctrl('s').to_string(), "Ctrl-S");
    }

    #[test]
    fn overrides_replace_defaults() {
        let mut km = Keymap::default();
        let t: toml::Table =
            toml::from_str("[browse]\nquit = \"Q\"\nsearch = [\"s\", \"/\"]").unwrap();
        km.apply(&t).unwrap();
        assert_eq!(
            km.action(Context::Browse, KeyPress::ch('Q')),
            Some(Action::Quit)
        );
        assert_eq!(km.action(Context::Browse, KeyPress::ch('q')), None);
        assert_eq!(
            km.action(Context::Browse, KeyPress::ch('s')),
            Some(Action::Search)
        );
        let help = km.help(Context::Browse);
        assert!(
            help.iter()
                .any(|(k, a)| k == "s, /" && *a == Action::Search)
        );
        let bad: toml::Table = toml::from_str("[browse]\nfly = \"x\"").unwrap();
        assert!(km.apply(&bad).is_err());
    }
}
