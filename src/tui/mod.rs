//! The terminal UI: the only home of ratatui and crossterm.
//!
//! - `app.rs`: state and the pure `update(state, msg) -> effects`;
//! - `effects.rs`: the one place effects (store, editor, clipboard) are performed;
//! - `view.rs`: widgets over `&State`; `keys.rs`: keymap and help; `strings.rs`: vi and en text;
//! - this file: settings, the terminal loop, `--plain` mode and the test [`Harness`].
//!
//! Settings live in `$XDG_CONFIG_HOME/kehoach/config.toml` (else `~/.config/kehoach/config.toml`):
//!
//! ```toml
//! lang = "vi"            # or "en"; --lang and KEHOACH_LANG win over it, the locale comes last
//! color = true           # false for no colours (NO_COLOR does the same)
//! [keys.browse]          # screens: browse, search, history, form, confirm, help
//! quit = "Q"             # an action's keys replace its default keys on that screen
//! search = ["/", "ctrl-f"]
//! ```

pub mod app;
pub mod effects;
pub mod form;
pub mod keys;
pub mod strings;
pub mod tree;
pub mod view;

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

pub use app::{Effect, Msg, State, update};
pub use effects::{Host, Runtime};
pub use keys::{Code, KeyPress, Keymap};
pub use strings::Lang;

use crate::store::{Store, StoreError};

/// How the UI is opened.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dir: PathBuf,
    pub lang: Option<Lang>,
    /// Print screens as text, without the alternate screen, reading keys from lines of input.
    pub plain: bool,
    /// A config file other than the default one.
    pub config: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("terminal: {0}")]
    Io(#[from] std::io::Error),
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
}

impl From<std::convert::Infallible> for TuiError {
    fn from(e: std::convert::Infallible) -> Self {
        match e {}
    }
}

/// Language, keymap and colours, from options, environment and the config file.
#[derive(Debug, Clone)]
pub struct Settings {
    pub lang: Lang,
    pub keymap: Keymap,
    pub color: bool,
}

/// The config file's place: `$XDG_CONFIG_HOME/kehoach/config.toml`, else under `~/.config`.
pub fn config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("kehoach").join("config.toml"))
}

impl Settings {
    pub fn load(opts: &Options) -> Result<Settings, TuiError> {
        let path = opts.config.clone().or_else(config_path);
        let mut table = toml::Table::new();
        if let Some(p) = &path
            && let Ok(text) = std::fs::read_to_string(p)
        {
            table = toml::from_str(&text).map_err(|e| TuiError::Config {
                path: p.clone(),
                message: e.to_string(),
            })?;
        }
        let cfg_err = |message: String| TuiError::Config {
            path: path.clone().unwrap_or_default(),
            message,
        };
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let cfg_lang = match table.get("lang") {
            None => None,
            Some(v) => Some(
                v.as_str()
                    .and_then(Lang::parse)
                    .ok_or_else(|| cfg_err("lang must be \"vi\" or \"en\"".into()))?,
            ),
        };
        let lang = opts
            .lang
            .or_else(|| env("KEHOACH_LANG").and_then(|v| Lang::parse(&v)))
            .or(cfg_lang)
            .unwrap_or_else(|| {
                let loc = env("LC_ALL")
                    .or_else(|| env("LC_MESSAGES"))
                    .or_else(|| env("LANG"))
                    .unwrap_or_default();
                Lang::from_locale(&loc)
            });
        let mut keymap = Keymap::default();
        if let Some(keys) = table.get("keys") {
            let keys = keys
                .as_table()
                .ok_or_else(|| cfg_err("[keys] must be a table".into()))?;
            keymap.apply(keys).map_err(|e| cfg_err(e.to_string()))?;
        }
        let color = if env("NO_COLOR").is_some() {
            false
        } else {
            table.get("color").and_then(|v| v.as_bool()).unwrap_or(true)
        };
        Ok(Settings {
            lang,
            keymap,
            color,
        })
    }
}

/// The app: its state and the runtime that performs its effects.
pub struct App {
    pub state: State,
    pub runtime: Runtime,
}

impl App {
    pub fn new(store: Store, settings: Settings) -> App {
        let name = store
            .root()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let state = State::new(settings.lang, settings.keymap, settings.color, name);
        let mut runtime = Runtime::new(store);
        runtime.lang = settings.lang;
        App { state, runtime }
    }

    /// Runs the start-up effects.
    pub fn start(&mut self, host: &mut dyn Host) {
        // The records stay loaded beside the index: build it with little memory.
        crate::search::set_low_memory(true);
        self.run_effects(State::init(), host);
    }

    /// Feeds a message through `update`, then performs the effects and feeds their results back.
    pub fn handle(&mut self, msg: Msg, host: &mut dyn Host) {
        let fx = update(&mut self.state, msg);
        self.run_effects(fx, host);
    }

    fn run_effects(&mut self, fx: Vec<Effect>, host: &mut dyn Host) {
        let mut queue: VecDeque<Effect> = fx.into();
        while let Some(e) = queue.pop_front() {
            for m in self.runtime.perform(e, host) {
                queue.extend(update(&mut self.state, m));
            }
        }
    }

    /// Handles finished background work, waiting up to `timeout` for the first.
    pub fn poll_background(&mut self, timeout: Duration, host: &mut dyn Host) -> bool {
        let mut any = false;
        if let Some(m) = self.runtime.take_search() {
            self.handle(m, host);
            any = true;
        }
        let mut wait = timeout;
        while let Some(m) = self.runtime.recv(wait) {
            self.handle(m, host);
            any = true;
            wait = Duration::ZERO;
        }
        any
    }

    /// Waits until no background work is left (for tests and `--plain`).
    pub fn settle(&mut self, host: &mut dyn Host) {
        let end = Instant::now() + Duration::from_secs(60);
        self.poll_background(Duration::ZERO, host);
        while self.runtime.pending() > 0 && Instant::now() < end {
            self.poll_background(Duration::from_millis(50), host);
        }
    }
}

/// Opens the UI on the data repository at `opts.dir`.
pub fn run(opts: Options) -> Result<(), TuiError> {
    let store = Store::open(&opts.dir)?;
    let settings = Settings::load(&opts)?;
    let mut app = App::new(store, settings);
    if opts.plain {
        return plain(&mut app);
    }
    terminal::run(&mut app)
}

mod terminal {
    use std::io::{Stdout, Write, stdout};
    use std::time::Duration;

    use crossterm::event::{
        self, DisableBracketedPaste, EnableBracketedPaste, Event, KeyCode, KeyEventKind,
        KeyModifiers,
    };
    use crossterm::execute;
    use crossterm::terminal::{
        EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
    };
    use ratatui::Terminal;
    use ratatui::backend::CrosstermBackend;

    use super::keys::{Code, KeyPress};
    use super::{App, Host, Msg, TuiError};

    fn enter() -> std::io::Result<()> {
        enable_raw_mode()?;
        execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste)
    }

    pub(super) fn leave() {
        let _ = execute!(stdout(), DisableBracketedPaste, LeaveAlternateScreen);
        let _ = disable_raw_mode();
        let _ = execute!(stdout(), crossterm::cursor::Show);
    }

    struct TermHost {
        redraw: bool,
    }

    impl Host for TermHost {
        fn release(&mut self, f: &mut dyn FnMut()) {
            leave();
            f();
            let _ = enter();
            self.redraw = true;
        }
        fn write_raw(&mut self, seq: &str) {
            let mut out = stdout();
            let _ = out.write_all(seq.as_bytes());
            let _ = out.flush();
        }
        fn suspend(&mut self) {
            leave();
            #[cfg(unix)]
            {
                // The shell stops us here and resumes us with `fg`.
                let _ = std::process::Command::new("kill")
                    .args(["-TSTP", &std::process::id().to_string()])
                    .status();
            }
            let _ = enter();
            self.redraw = true;
        }
    }

    pub fn key_of(k: event::KeyEvent) -> Option<KeyPress> {
        let code = match k.code {
            KeyCode::Char(c) => Code::Char(c),
            KeyCode::Enter => Code::Enter,
            KeyCode::Esc => Code::Esc,
            KeyCode::Tab => Code::Tab,
            KeyCode::BackTab => Code::BackTab,
            KeyCode::Backspace => Code::Backspace,
            KeyCode::Delete => Code::Delete,
            KeyCode::Up => Code::Up,
            KeyCode::Down => Code::Down,
            KeyCode::Left => Code::Left,
            KeyCode::Right => Code::Right,
            KeyCode::Home => Code::Home,
            KeyCode::End => Code::End,
            KeyCode::PageUp => Code::PageUp,
            KeyCode::PageDown => Code::PageDown,
            KeyCode::F(n) => Code::F(n),
            _ => return None,
        };
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let code = match code {
            Code::Char(c) if ctrl => Code::Char(c.to_ascii_lowercase()),
            c => c,
        };
        Some(KeyPress {
            code,
            ctrl,
            alt: k.modifiers.contains(KeyModifiers::ALT),
        })
    }

    pub fn run(app: &mut App) -> Result<(), TuiError> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            leave();
            previous(info);
        }));
        enter()?;
        let result = event_loop(app);
        leave();
        let _ = std::panic::take_hook();
        result
    }

    fn event_loop(app: &mut App) -> Result<(), TuiError> {
        let mut terminal: Terminal<CrosstermBackend<Stdout>> =
            Terminal::new(CrosstermBackend::new(stdout()))?;
        let mut host = TermHost { redraw: false };
        let size = terminal.size()?;
        app.state.size = (size.width, size.height);
        app.start(&mut host);
        loop {
            if host.redraw {
                terminal.clear()?;
                host.redraw = false;
            }
            terminal.draw(|f| super::view::draw(f, &app.state))?;
            app.runtime.start_queued();
            if app.state.quit {
                return Ok(());
            }
            let mut changed = false;
            if event::poll(Duration::from_millis(100))? {
                // Take every event already waiting before drawing again.
                loop {
                    let msg = match event::read()? {
                        Event::Key(k) if k.kind != KeyEventKind::Release => key_of(k).map(Msg::Key),
                        Event::Paste(s) => Some(Msg::Paste(s)),
                        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
                        _ => None,
                    };
                    if let Some(m) = msg {
                        if matches!(m, Msg::Resize(..)) {
                            terminal.autoresize()?;
                        }
                        app.handle(m, &mut host);
                        changed = true;
                    }
                    if app.state.quit || !event::poll(Duration::ZERO)? {
                        break;
                    }
                }
            }
            let _ = changed;
            app.poll_background(Duration::ZERO, &mut host);
        }
    }
}

/// Parses a line of keys for `--plain` and tests: key names separated by spaces
/// (`j j enter ctrl-s`), and `"quoted text"` typed as it is.
pub fn parse_keys(line: &str) -> Result<Vec<Msg>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '"' {
            chars.next();
            let mut text = String::new();
            loop {
                match chars.next() {
                    None => return Err("a quoted text is not closed".into()),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('n') => text.push('\n'),
                        Some(x) => text.push(x),
                        None => return Err("a quoted text is not closed".into()),
                    },
                    Some(x) => text.push(x),
                }
            }
            for ch in text.chars() {
                out.push(Msg::Key(if ch == '\n' {
                    KeyPress::plain(Code::Enter)
                } else {
                    KeyPress::ch(ch)
                }));
            }
            continue;
        }
        let mut word = String::new();
        while let Some(&x) = chars.peek() {
            if x.is_whitespace() {
                break;
            }
            word.push(x);
            chars.next();
        }
        out.push(Msg::Key(
            KeyPress::parse(&word).ok_or_else(|| format!("{word:?} is not a key"))?,
        ));
    }
    Ok(out)
}

/// The text of a rendered screen, one line per row, trailing spaces removed.
pub fn buffer_text(buf: &Buffer) -> String {
    let w = usize::from(buf.area.width);
    let mut out = String::new();
    for row in buf.content.chunks(w.max(1)) {
        let mut line = String::new();
        let mut skip = 0usize;
        for c in row {
            if skip == 0 {
                line.push_str(c.symbol());
            }
            skip = skip
                .max(unicode_width::UnicodeWidthStr::width(c.symbol()))
                .saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A host without a terminal: runs the editor directly and records clipboard writes.
#[derive(Debug, Default)]
pub struct HeadlessHost {
    pub written: Vec<String>,
}

impl Host for HeadlessHost {
    fn release(&mut self, f: &mut dyn FnMut()) {
        f();
    }
    fn write_raw(&mut self, seq: &str) {
        self.written.push(seq.to_string());
    }
    fn suspend(&mut self) {}
}

fn plain(app: &mut App) -> Result<(), TuiError> {
    let (w, h) = crossterm::terminal::size().unwrap_or((80, 24));
    let (w, h) = (w.max(40), h.max(10));
    let mut host = HeadlessHost::default();
    let mut term = Terminal::new(TestBackend::new(w, h))?;
    app.state.size = (w, h);
    app.start(&mut host);
    app.settle(&mut host);
    let mut out = std::io::stdout();
    let mut print = |app: &App, out: &mut std::io::Stdout| -> Result<(), TuiError> {
        term.draw(|f| view::draw(f, &app.state))?;
        let text = buffer_text(term.backend().buffer());
        writeln!(out, "{}", "─".repeat(usize::from(w)))?;
        write!(out, "{text}")?;
        out.flush()?;
        Ok(())
    };
    print(app, &mut out)?;
    let stdin = std::io::stdin();
    let mut line = String::new();
    loop {
        line.clear();
        if stdin.read_line(&mut line)? == 0 || app.state.quit {
            return Ok(());
        }
        match parse_keys(line.trim_end_matches('\n')) {
            Ok(msgs) => {
                for m in msgs {
                    app.handle(m, &mut host);
                    app.settle(&mut host);
                    if app.state.quit {
                        return Ok(());
                    }
                }
            }
            Err(e) => {
                writeln!(out, "{e}")?;
                continue;
            }
        }
        print(app, &mut out)?;
    }
}

/// Drives the real app on ratatui's `TestBackend`, for tests and benchmarks.
pub struct Harness {
    pub app: App,
    pub host: HeadlessHost,
    terminal: Terminal<TestBackend>,
}

impl Harness {
    /// Opens the data repository at `dir` at a screen size; waits for start-up work to finish.
    pub fn open(dir: &Path, lang: Lang, width: u16, height: u16) -> Result<Harness, TuiError> {
        let store = Store::open(dir)?;
        let settings = Settings {
            lang,
            keymap: Keymap::default(),
            color: false,
        };
        Self::with_settings(store, settings, width, height)
    }

    pub fn with_settings(
        store: Store,
        settings: Settings,
        width: u16,
        height: u16,
    ) -> Result<Harness, TuiError> {
        let mut app = App::new(store, settings);
        app.state.size = (width, height);
        let mut host = HeadlessHost::default();
        app.start(&mut host);
        let mut h = Harness {
            app,
            host,
            terminal: Terminal::new(TestBackend::new(width, height))?,
        };
        h.settle();
        Ok(h)
    }

    /// Opens without waiting for background work (for measuring the first frame).
    pub fn open_unsettled(dir: &Path, width: u16, height: u16) -> Result<Harness, TuiError> {
        let store = Store::open(dir)?;
        let settings = Settings {
            lang: Lang::En,
            keymap: Keymap::default(),
            color: true,
        };
        let mut app = App::new(store, settings);
        app.state.size = (width, height);
        let mut host = HeadlessHost::default();
        app.start(&mut host);
        Ok(Harness {
            app,
            host,
            terminal: Terminal::new(TestBackend::new(width, height))?,
        })
    }

    pub fn settle(&mut self) {
        self.app.settle(&mut self.host);
    }

    /// Sends keys (as in `--plain`: `j j enter "text" ctrl-s`) and waits for their effects.
    pub fn keys(&mut self, keys: &str) -> &mut Self {
        for m in parse_keys(keys).expect("valid keys") {
            self.app.handle(m, &mut self.host);
            self.settle();
        }
        self
    }

    /// Types text as key presses, one character at a time.
    pub fn type_text(&mut self, text: &str) -> &mut Self {
        for c in text.chars() {
            self.app.handle(Msg::Key(KeyPress::ch(c)), &mut self.host);
        }
        self.settle();
        self
    }

    pub fn send(&mut self, msg: Msg) -> &mut Self {
        self.app.handle(msg, &mut self.host);
        self.settle();
        self
    }

    pub fn resize(&mut self, width: u16, height: u16) -> &mut Self {
        self.terminal.backend_mut().resize(width, height);
        self.send(Msg::Resize(width, height))
    }

    /// Draws and returns the screen as text.
    pub fn screen(&mut self) -> String {
        self.draw();
        buffer_text(self.terminal.backend().buffer())
    }

    /// Draws one frame.
    pub fn draw(&mut self) {
        let st = &self.app.state;
        self.terminal
            .draw(|f| view::draw(f, st))
            .expect("drawing on a test backend");
    }

    pub fn buffer(&self) -> &Buffer {
        self.terminal.backend().buffer()
    }

    pub fn state(&self) -> &State {
        &self.app.state
    }
}

/// Restores the terminal (for a caller that handles a panic itself).
pub fn restore_terminal() {
    terminal::leave();
}
