//! The interactive front door: the figures come from the engine in its worker (or from a
//! recorded stream), the terminal is here. The loop drains the figures once per frame, draws a
//! key's effect at once and new figures at most four times a second (never more than 20
//! frames a second, at least one a second), and turns keys into actions. Snapshots are written
//! on their own thread, so a slow disk never freezes the screen.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant, SystemTime};

use color_eyre::eyre::{Result, WrapErr, eyre};
use crossterm::event::{self, Event};
use ratatui::DefaultTerminal;

use crate::app::{Action, App, Effect, View, action_for_filter_key, action_for_mouse};
use crate::engine::{EngineConfig, EngineEvent, Summary};
use crate::snapshot::{self, Host, Snapshot};
use crate::spec::Suite;
use crate::stream::{StreamItem, StreamSource};
use crate::tasks::{Command, Engine};
use crate::traced::Traced;
use crate::ui::{self, Theme};

/// Input is read at least this often, and a key's effect drawn at once (at most 20 frames/s).
const FRAME: Duration = Duration::from_millis(50);
/// New figures are drawn at most this often: every frame costs CPU (ours and the terminal's)
/// that a 2-core machine takes from the models being measured.
const FIGURES_REDRAW: Duration = Duration::from_millis(250);
const IDLE_REDRAW: Duration = Duration::from_secs(1);

/// Where the figures come from.
enum Figures {
    Engine(Engine),
    /// A recorded or piped stream, read on its own thread.
    Stream(Receiver<StreamItem>),
}

impl Figures {
    /// Hands every figure that arrived to `app`; true when there was any.
    fn pump(&self, app: &mut App) -> bool {
        let mut any = false;
        match self {
            Figures::Engine(engine) => {
                for event in engine.drain() {
                    app.on_engine(event);
                    any = true;
                }
            }
            Figures::Stream(rx) => {
                for item in rx.try_iter() {
                    match item {
                        StreamItem::Event(event) => app.on_engine(event),
                        StreamItem::End(note) => app.info(note),
                    }
                    any = true;
                }
            }
        }
        any
    }

    fn send(&self, cmd: Command) {
        if let Figures::Engine(engine) = self {
            engine.send(cmd);
        }
    }
}

/// How the TUI looks and which keys it takes, from the config file and `--basic`.
#[derive(Clone, Debug)]
pub struct Look {
    pub theme: Theme,
    pub keys: crate::app::KeyMap,
}

impl Look {
    pub fn of(config: crate::config::Config) -> Self {
        Self {
            theme: Theme::chosen(config.theme, config.basic),
            keys: config.keys,
        }
    }
}

pub fn run(config: EngineConfig, out_dir: PathBuf, look: Look) -> Result<()> {
    let limit = config.memory_limit;
    let mut app = App::new(
        config.suite.clone(),
        config.backend,
        Host::of_backend(config.backend),
    )
    .map_err(|e| eyre!(e))?;
    app.set_keys(look.keys);
    let theme = look.theme;
    let engine = Engine::spawn(config).wrap_err("cannot start the engine")?;
    let figures = Figures::Engine(engine);
    let result =
        with_terminal(|terminal| event_loop(terminal, &figures, app, &theme, &out_dir, limit));
    if let Figures::Engine(engine) = figures {
        engine.stop();
    }
    result
}

pub fn view(source: StreamSource, out_dir: PathBuf, look: Look) -> Result<()> {
    let mut app = source.app().map_err(|e| eyre!(e))?;
    app.set_keys(look.keys);
    let figures = Figures::Stream(source.spawn());
    let limit = crate::memory::default_limit();
    let theme = look.theme;
    with_terminal(|terminal| event_loop(terminal, &figures, app, &theme, &out_dir, limit))
}

fn with_terminal(f: impl FnOnce(&mut DefaultTerminal) -> Result<()>) -> Result<()> {
    // SIGTERM and SIGHUP (a closed terminal window) quit like `q`, restoring the terminal.
    crate::signals::watch();
    // ratatui::init installs a panic hook that restores the terminal first; the mouse is
    // handed back before it, on a panic as on a normal exit.
    let mut terminal = ratatui::init();
    let restore = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
        restore(info);
    }));
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    let result = f(&mut terminal);
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    ratatui::restore();
    result
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    figures: &Figures,
    mut app: App,
    theme: &Theme,
    out_dir: &Path,
    memory_limit: u64,
) -> Result<()> {
    let (written_tx, written) = mpsc::channel::<Result<PathBuf, String>>();
    let (traced_tx, traced) = mpsc::channel::<Traces>();
    // `urgent`: the user did something and expects to see it now.
    let mut dirty = true;
    let mut urgent = true;
    let mut last_draw: Option<Instant> = None;
    while !app.should_quit() {
        if crate::signals::requested() {
            break;
        }
        if figures.pump(&mut app) {
            dirty = true;
        }
        if let Some(suite) = app.trace_wanted() {
            app.trace_started(suite.workload.batch);
            start_trace(suite, memory_limit, traced_tx.clone());
        }
        for (batch, counts, modules) in traced.try_iter() {
            app.on_traced(batch, counts);
            app.on_modules(batch, modules);
            dirty = true;
        }
        for result in written.try_iter() {
            match result {
                Ok(path) => app.info(format!("snapshot written to {}", path.display())),
                Err(e) => app.error(e),
            }
            dirty = true;
            urgent = true;
        }
        let since = last_draw.map(|t| t.elapsed());
        let interval = if urgent { FRAME } else { FIGURES_REDRAW };
        if (dirty && since.is_none_or(|s| s >= interval)) || since.is_none_or(|s| s >= IDLE_REDRAW)
        {
            let mut drawn = None;
            terminal.draw(|frame| drawn = Some(ui::render(&app, theme, frame)))?;
            app.on_drawn(drawn.unwrap_or_default());
            last_draw = Some(Instant::now());
            dirty = false;
            urgent = false;
        }
        if event::poll(FRAME)? {
            let action = match event::read()? {
                Event::Key(key) if app.filter_input().is_some() => action_for_filter_key(key),
                Event::Key(key) => app.keys().action(key),
                Event::Mouse(mouse) => action_for_mouse(mouse, &app),
                Event::Resize(..) => {
                    dirty = true;
                    urgent = true;
                    None
                }
                _ => None,
            };
            if let Some(action) = action {
                for effect in app.update(action) {
                    match effect {
                        Effect::Engine(cmd) => figures.send(cmd),
                        Effect::Snapshot => {
                            let size = terminal.size()?;
                            let screen = ui::screen_text(&app, theme, size.width, size.height);
                            start_snapshot(&mut app, out_dir, screen, written_tx.clone());
                        }
                    }
                }
                dirty = true;
                urgent = true;
            }
        }
    }
    Ok(())
}

/// Records and counts every variant's forward pass of `suite` on a thread (seconds for large
/// models); the counts come back on `done`. A closed channel (the UI quit) drops them.
/// A batch's traced rows, and its variants by module.
type Traces = (
    usize,
    Vec<(String, Traced)>,
    Vec<crate::report::VariantModules>,
);

fn start_trace(suite: Suite, memory_limit: u64, done: Sender<Traces>) {
    let spawned = std::thread::Builder::new()
        .name("effprof-trace".into())
        .spawn(move || {
            let counts = crate::traced::trace_suite(&suite, memory_limit);
            let modules = crate::report::ModulesDocument::new(&suite)
                .map(|d| d.variants)
                .unwrap_or_default();
            let _ = done.send((suite.workload.batch, counts, modules));
        });
    // Without a thread there are no traced rows; the rest of the UI does not need them.
    drop(spawned);
}

/// Takes the snapshot now and writes it on a thread; the result comes back on `done`.
fn start_snapshot(
    app: &mut App,
    out_dir: &Path,
    screen: String,
    done: Sender<Result<PathBuf, String>>,
) {
    let snapshot = match app.snapshot(SystemTime::now()) {
        None => return app.error("nothing measured yet: no snapshot to write".into()),
        Some(Err(e)) => return app.error(e.to_string()),
        Some(Ok(s)) => s,
    };
    app.info(format!("writing a snapshot into {} …", out_dir.display()));
    let out_dir = out_dir.to_owned();
    let write = move || {
        let result = snapshot::write_set(&out_dir, &snapshot, &screen).map_err(|e| e.to_string());
        let _ = done.send(result);
    };
    if let Err(e) = std::thread::Builder::new()
        .name("effprof-snapshot".into())
        .spawn(write)
    {
        app.error(format!("cannot start writing the snapshot: {e}"));
    }
}

/// The screen of a headless run, for `bench --export`: the Compare view at 160x48.
pub fn screen_of(snapshot: &Snapshot, summary: &Summary) -> String {
    let Ok(mut app) = App::new(
        snapshot.suite.clone(),
        summary.run.backend,
        snapshot.host.clone(),
    ) else {
        return String::new();
    };
    app.on_engine(EngineEvent::Summary(Box::new(summary.clone())));
    app.update(Action::ShowView(View::Compare));
    ui::screen_text(&app, &Theme::plain(), 160, 48)
}
