//! The TUI's state and its one way to change: [`App::update`] with an [`Action`], and
//! [`App::on_engine`] with what the engine reports. Pure: no terminal, no IO, no threads.

mod arrange;
pub mod history;
mod keymap;
mod keys;
mod views;
mod work;

pub use arrange::{FILTER_PREFIXES, Filter, Sort};
pub use history::History;
pub use keymap::{BINDABLE, KeyMap};
pub use keys::{
    KEYS, Key, action_for_filter_key, action_for_key, action_for_mouse, footer_hints, help_rows,
};
pub use views::{Needs, Tab, VIEWS, View, ViewEntry, ViewKey, tab_bar};

pub use work::{
    Curve, GenerateState, PipelineState, RunAll, SWEEP_BATCHES, SweepState, TrainState, VariantRun,
};

/// The tasks that run every variant in turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EveryVariant {
    Train,
    Generate,
}

impl EveryVariant {
    fn what(self) -> &'static str {
        match self {
            EveryVariant::Train => "training",
            EveryVariant::Generate => "generation",
        }
    }

    fn request(self) -> Request {
        match self {
            EveryVariant::Train => Request::Train,
            EveryVariant::Generate => Request::Generate,
        }
    }
}

use std::time::SystemTime;

use crate::backend::Backend;
use crate::engine::{EngineCmd, EngineEvent, Summary};
use crate::family::Feature;
use crate::pipeline::PipelineReport;
use crate::report::{IndicatorTable, ModelsReport, VariantCost, compare_table, pair};
use crate::roofline::PartsReport;
use crate::snapshot::{Host, Snapshot};
use crate::spec::Suite;
use crate::tasks::{Command, Event, Report, Request};

/// What a key asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    NextBackend,
    PrevBackend,
    FocusNext,
    FocusPrev,
    /// Focus the variant at this place in display order (a click on it).
    Focus(usize),
    TogglePause,
    DoubleBatch,
    HalveBatch,
    ResetStats,
    Snapshot,
    ToggleHelp,
    NextView,
    /// One more / one fewer pipeline stage (the focused variant is measured again).
    MoreStages,
    FewerStages,
    /// Twice / half the micro-batches per pipeline step (simulated again, not measured).
    MoreMicroBatches,
    FewerMicroBatches,
    /// Measure every variant at each batch size of [`SWEEP_BATCHES`] in turn.
    StartSweep,
    /// Train every variant to the task's target, one after another.
    StartTraining,
    /// Measure every decoder's generation (prefill, decode), one after another.
    StartGeneration,
    ShowView(View),
    /// Compare: the focused variant's operations (from its recorded pass), or the table again.
    ToggleOps,
    /// Compare: the focused variant module by module, or the table again.
    ToggleModules,
    /// Moves the rows of a view taller than the screen.
    Scroll(Scroll),
    /// Sort the variants by the next / previous indicator (after the last: the suite's order).
    SortNext,
    SortPrev,
    /// Sort by this indicator (a row's key), or invert the sort when it is already by it.
    SortBy(&'static str),
    /// The most expensive first instead of the cheapest.
    SortInvert,
    /// Typing the filter of the variants shown.
    Filter(FilterKey),
    /// Closes the help or the message on top.
    Dismiss,
    Quit,
}

/// A key while the filter is typed (`/` opens it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterKey {
    Open,
    Char(char),
    Backspace,
    /// Keep the filter typed and stop typing.
    Apply,
    /// Drop the filter and stop typing.
    Clear,
}

/// The filter as it is being typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilterInput {
    pub text: String,
    /// Why the text is no filter (an unknown `prefix:`); the last good filter stays meanwhile.
    pub error: Option<String>,
}

/// What Compare shows in its place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ComparePanel {
    Table,
    Ops,
    Modules,
}

/// How far [`Action::Scroll`] moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scroll {
    Lines(isize),
    Pages(isize),
    Home,
    End,
}

/// A rectangle of the screen, in cells.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Area {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

impl Area {
    fn contains(self, column: u16, row: u16) -> bool {
        (self.x..self.x.saturating_add(self.width)).contains(&column)
            && (self.y..self.y.saturating_add(self.height)).contains(&row)
    }
}

/// What drawing a frame learns that the app needs for the next key or click: the renderer
/// returns it, and [`App::on_drawn`] takes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Drawn {
    /// What a click does where: tabs, variants.
    pub clickable: Vec<(Area, Action)>,
    /// What the scrolled view showed.
    pub viewport: Viewport,
    /// What the help showed of its rows, when open.
    pub help: Viewport,
}

impl Drawn {
    /// A click in `area` asks for `action`.
    pub fn clickable(&mut self, area: Area, action: Action) {
        self.clickable.push((area, action));
    }

    /// The first row to show of `total` when `shown` fit, scrolled to `wanted`; kept as the
    /// viewport.
    pub fn scrolled(&mut self, wanted: usize, shown: usize, total: usize) -> usize {
        self.viewport = Viewport { shown, total };
        self.viewport.clamp(wanted)
    }
}

/// The rows a scrolled view showed when last drawn: how many fit, of how many.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Viewport {
    pub shown: usize,
    pub total: usize,
}

impl Viewport {
    /// The first row to show for a wanted offset: none past the last full screen.
    pub fn clamp(self, offset: usize) -> usize {
        offset.min(self.total.saturating_sub(self.shown))
    }

    /// The first row after scrolling `by` from `offset`, a page being what was shown.
    pub fn scrolled(self, offset: usize, by: Scroll) -> usize {
        let page = self.shown.max(1) as isize;
        let from = self.clamp(offset) as isize;
        let to = match by {
            Scroll::Lines(n) => from + n,
            Scroll::Pages(n) => from + n * page,
            Scroll::Home => 0,
            Scroll::End => isize::MAX,
        };
        self.clamp(to.max(0) as usize)
    }
}

impl Action {
    /// Actions that change what the engine measures, as opposed to what is shown.
    pub fn steers_the_engine(&self) -> bool {
        matches!(
            self,
            Action::NextBackend
                | Action::PrevBackend
                | Action::TogglePause
                | Action::DoubleBatch
                | Action::HalveBatch
                | Action::ResetStats
        )
    }
}

/// Work the update asks the outside world to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Engine(Command),
    /// Write a snapshot of the current figures.
    Snapshot,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub is_error: bool,
}

/// Micro-batch counts a snapshot's pipeline figures cover, besides the one on screen.
const SNAPSHOT_MICRO_BATCHES: [usize; 5] = [1, 2, 4, 8, 16];

pub struct App {
    suite: Suite,
    /// The backend asked for last; the summary says which one is measured.
    backend: Backend,
    /// Backends found unavailable this session: `b` skips them.
    unavailable: Vec<Backend>,
    batch: usize,
    paused: bool,
    view: View,
    show_help: bool,
    /// The first row the help shows (it scrolls where the screen is shorter than its rows).
    help_scroll: usize,
    message: Option<Message>,
    /// Index into `analytic` (display order, baseline first).
    focus: usize,
    analytic: Vec<VariantCost>,
    summary: Option<Summary>,
    /// The Compare view's table: analytic rows, and measured ones once a summary came.
    table: IndicatorTable,
    history: History,
    should_quit: bool,
    /// The machine the figures come from (the remote one when watching a stream).
    host: Host,
    /// The recorded or piped stream being watched (`effprof view`): the run cannot be steered.
    watching: Option<String>,
    pipeline: PipelineState,
    sweep: SweepState,
    /// The batch whose forward passes are being, or have been, recorded and counted (the
    /// traced rows); None before the first trace.
    traced_batch: Option<usize>,
    /// Compare shows the focused variant's operations instead of the table.
    /// What Compare shows: the table, or the focused variant's ops or modules.
    compare_panel: ComparePanel,
    /// Each variant by module, at the batch it was counted at.
    modules: Option<(usize, Vec<crate::report::VariantModules>)>,
    /// The first row shown by a view taller than the screen (reset with the view).
    scroll: usize,
    /// What the last frame drawn learned (see [`App::on_drawn`]): what a click does where, and
    /// what the scrolled view showed, so that a key moves the rows by what the screen holds.
    drawn: Drawn,
    /// The focused variant's parts, timed alone, for the Roofline view.
    parts: Option<PartsReport>,
    /// Parts were asked for and have not come back.
    parts_pending: bool,
    training: TrainState,
    generation: GenerateState,
    /// The convergence task's lowest reachable loss; None for an image suite.
    loss_floor: Option<f64>,
    /// The variants the tables show: all unless filtered (`/`).
    filter: Filter,
    /// The filter being typed; None when no key goes to it.
    filter_input: Option<FilterInput>,
    /// The indicator the variants are ordered by; None: the suite's order.
    sort: Option<Sort>,
    /// The keys, as the config file moved them.
    keys: KeyMap,
}

impl App {
    /// The app of a live engine on `backend`, measuring on `host`.
    pub fn new(
        suite: Suite,
        backend: Backend,
        host: Host,
    ) -> Result<Self, crate::cost::CountError> {
        let report = ModelsReport::new(&suite)?;
        let table = report.table();
        let analytic = report.variants;
        Ok(Self {
            table,
            batch: suite.workload.batch,
            loss_floor: crate::train::loss_floor(&suite.workload),
            suite,
            backend,
            unavailable: Vec::new(),
            paused: false,
            view: View::Live,
            show_help: false,
            help_scroll: 0,
            message: None,
            focus: 0,
            analytic,
            summary: None,
            history: History::default(),
            should_quit: false,
            host,
            watching: None,
            pipeline: PipelineState::default(),
            sweep: SweepState::default(),
            traced_batch: None,
            compare_panel: ComparePanel::Table,
            modules: None,
            scroll: 0,
            drawn: Drawn::default(),
            parts: None,
            parts_pending: false,
            training: TrainState::default(),
            generation: GenerateState::default(),
            filter: Filter::default(),
            filter_input: None,
            sort: None,
            keys: KeyMap::default(),
        })
    }

    /// The app that replays a run recorded on `host`, read from `origin`: nothing to steer.
    pub fn watching(
        suite: Suite,
        host: Host,
        origin: String,
    ) -> Result<Self, crate::cost::CountError> {
        let mut app = Self::new(suite, Backend::Ndarray, host)?;
        app.watching = Some(origin);
        Ok(app)
    }

    pub fn suite(&self) -> &Suite {
        &self.suite
    }

    /// The backend asked for last; the summary says which one is measured.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn batch(&self) -> usize {
        self.batch
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    pub fn view(&self) -> View {
        self.view
    }

    pub fn show_help(&self) -> bool {
        self.show_help
    }

    /// The first row the help wants shown, before it is clamped to what fits.
    pub fn help_scroll(&self) -> usize {
        self.help_scroll
    }

    pub fn message(&self) -> Option<&Message> {
        self.message.as_ref()
    }

    /// Index of the focused variant in [`App::analytic`].
    pub fn focus(&self) -> usize {
        self.focus
    }

    /// Each variant's analytic figures at the current batch, baseline first.
    pub fn analytic(&self) -> &[VariantCost] {
        &self.analytic
    }

    /// The engine's latest summary.
    pub fn summary(&self) -> Option<&Summary> {
        self.summary.as_ref()
    }

    /// The Compare table: analytic rows, and measured ones once a summary came.
    pub fn table(&self) -> &IndicatorTable {
        &self.table
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    pub fn should_quit(&self) -> bool {
        self.should_quit
    }

    /// The machine the figures come from.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Where the watched run is read from; None for a live engine.
    pub fn watched(&self) -> Option<&str> {
        self.watching.as_deref()
    }

    pub fn pipeline(&self) -> &PipelineState {
        &self.pipeline
    }

    pub fn sweep(&self) -> &SweepState {
        &self.sweep
    }

    /// The suite at the current batch, when its variants' forward passes should be recorded
    /// and counted (the traced rows): once per batch. The caller records them off the UI
    /// thread, says so with [`App::trace_started`] and hands the counts to [`App::on_traced`].
    pub fn trace_wanted(&self) -> Option<Suite> {
        (self.traced_batch != Some(self.batch)).then(|| self.suite.at_batch(self.batch))
    }

    /// Compare shows the focused variant's operations instead of the table.
    pub fn show_ops(&self) -> bool {
        self.compare_panel == ComparePanel::Ops
    }

    /// Compare shows the focused variant module by module instead of the table.
    pub fn show_modules(&self) -> bool {
        self.compare_panel == ComparePanel::Modules
    }

    /// The focused variant by module, once counted at the current batch.
    pub fn focused_modules(&self) -> Option<&crate::report::VariantModules> {
        let (batch, modules) = self.modules.as_ref()?;
        let name = self.focused_name();
        (*batch == self.batch)
            .then(|| modules.iter().find(|m| m.variant == name))
            .flatten()
    }

    /// Each variant by module at `batch` (counted off the UI thread with the traced rows).
    pub fn on_modules(&mut self, batch: usize, modules: Vec<crate::report::VariantModules>) {
        if batch == self.batch {
            self.modules = Some((batch, modules));
        }
    }

    /// What drawing the last frame learned: what a click does where, and what the scrolled
    /// view showed. The terminal loop hands it over after each frame.
    pub fn on_drawn(&mut self, drawn: Drawn) {
        self.drawn = drawn;
    }

    /// What a click at (`column`, `row`) asks for, on the screen last drawn.
    pub fn action_at(&self, column: u16, row: u16) -> Option<Action> {
        self.drawn
            .clickable
            .iter()
            .find(|(area, _)| area.contains(column, row))
            .map(|(_, action)| *action)
    }

    /// Compare shows `panel`, or the table again where it showed it already; from another
    /// view, Compare opens on `panel`.
    fn toggle_panel(&mut self, panel: ComparePanel) -> Vec<Effect> {
        self.scroll = 0;
        if self.view == View::Compare {
            self.compare_panel = if self.compare_panel == panel {
                ComparePanel::Table
            } else {
                panel
            };
            vec![]
        } else {
            self.compare_panel = panel;
            self.update(Action::ShowView(View::Compare))
        }
    }

    /// The first row a scrolled view wants shown, before it is clamped to what fits.
    pub fn scroll(&self) -> usize {
        self.scroll
    }

    pub fn trace_started(&mut self, batch: usize) {
        self.traced_batch = Some(batch);
    }

    /// Each variant's traced counts at `batch`; ignored when the batch has moved on since.
    pub fn on_traced(&mut self, batch: usize, traced: Vec<(String, crate::traced::Traced)>) {
        if batch != self.batch {
            return;
        }
        for (name, t) in traced {
            if let Some(v) = self.analytic.iter_mut().find(|v| v.name == name) {
                v.traced = Some(t);
            }
        }
        match self.summary.as_ref().map(|s| s.run.batch) {
            Some(b) if b == batch => self.refresh_table(),
            _ => {
                let suite = self.suite.at_batch(batch);
                let analytic: Vec<&VariantCost> = self.analytic.iter().collect();
                self.table = crate::report::analytic_table(&suite, &analytic);
            }
        }
    }

    /// The focused variant's parts, timed alone.
    pub fn parts(&self) -> Option<&PartsReport> {
        self.parts.as_ref()
    }

    /// Parts were asked for and have not come back.
    pub fn parts_pending(&self) -> bool {
        self.parts_pending
    }

    pub fn training(&self) -> &TrainState {
        &self.training
    }

    pub fn generation(&self) -> &GenerateState {
        &self.generation
    }

    /// Why generation does not run on this suite: `Some` unless its `[suite]` has `prompt_len`
    /// and `gen_len`.
    pub fn generation_na(&self) -> Option<&'static str> {
        self.suite.workload.gen_len().is_none().then_some(
            "n/a: this suite runs one forward pass; generation needs a suite with prompt_len and gen_len (built in: generation, llm-shapes)",
        )
    }

    /// The convergence task's lowest reachable loss; None for an image suite.
    pub fn loss_floor(&self) -> Option<f64> {
        self.loss_floor
    }

    /// The variants' places (in [`App::analytic`] and the table's columns) in the order the
    /// tables show them: the baseline first, then those the filter lets through, sorted.
    pub fn shown(&self) -> Vec<usize> {
        let admits = |c: usize| {
            self.filter.is_empty()
                || self.analytic.get(c).is_some_and(|v| {
                    self.filter
                        .admits(&v.name, v.family.kind().name(), &v.family.label())
                })
        };
        arrange::arrange(&self.table, admits, self.sort)
    }

    /// The Compare table with the variants shown, in their order (the table itself where that
    /// is all of them in the suite's order); and the place of each of its columns in
    /// [`App::analytic`].
    pub fn arranged(&self) -> (std::borrow::Cow<'_, IndicatorTable>, Vec<usize>) {
        let shown = self.shown();
        let table = if shown.iter().copied().eq(0..self.table.columns.len()) {
            std::borrow::Cow::Borrowed(&self.table)
        } else {
            std::borrow::Cow::Owned(self.table.select(&shown))
        };
        (table, shown)
    }

    pub fn sort(&self) -> Option<Sort> {
        self.sort
    }

    /// The label of the row the variants are sorted by.
    pub fn sort_label(&self) -> Option<&'static str> {
        let sort = self.sort?;
        self.table
            .rows
            .iter()
            .find(|r| r.key == sort.key)
            .map(|r| r.label)
    }

    /// The keys, as the config file moved them.
    pub fn keys(&self) -> &KeyMap {
        &self.keys
    }

    pub fn set_keys(&mut self, keys: KeyMap) {
        self.keys = keys;
    }

    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// The filter being typed, when keys go to it.
    pub fn filter_input(&self) -> Option<&FilterInput> {
        self.filter_input.as_ref()
    }

    /// Where the focus goes when the shown variants change: it stays where it is shown, else
    /// it moves to the first shown after the baseline.
    fn keep_focus_shown(&mut self) -> Vec<Effect> {
        let shown = self.shown();
        if shown.contains(&self.focus) {
            return vec![];
        }
        let to = shown.get(1).copied().unwrap_or(0);
        self.update(Action::Focus(to))
    }

    fn on_filter_key(&mut self, key: FilterKey) -> Vec<Effect> {
        match key {
            FilterKey::Open => {
                self.filter_input = Some(FilterInput {
                    text: self.filter.text().to_owned(),
                    error: None,
                });
                return vec![];
            }
            FilterKey::Apply => {
                self.filter_input = None;
                return vec![];
            }
            FilterKey::Clear => {
                self.filter_input = None;
                self.filter = Filter::default();
            }
            FilterKey::Char(_) | FilterKey::Backspace => {
                let Some(input) = self.filter_input.as_mut() else {
                    return vec![];
                };
                match key {
                    FilterKey::Char(c) => input.text.push(c),
                    _ => {
                        input.text.pop();
                    }
                }
                match Filter::parse(&input.text) {
                    Ok(filter) => {
                        input.error = None;
                        self.filter = filter;
                    }
                    Err(e) => input.error = Some(e),
                }
            }
        }
        self.scroll = 0;
        self.keep_focus_shown()
    }

    pub fn focused_name(&self) -> &str {
        &self.analytic[self.focus].name
    }

    /// Why training does not run on this suite: `Some` when its samples are images (the
    /// convergence task is next-token prediction).
    pub fn training_na(&self) -> Option<String> {
        self.suite
            .variants
            .iter()
            .find_map(|v| v.family.unsupported(Feature::Training))
            .map(|why| format!("n/a for {why}"))
    }

    /// Why the focused variant has no parts to time: `Some` for a model of your own, whose
    /// layers effprof does not know.
    pub fn parts_na(&self) -> Option<String> {
        self.analytic[self.focus]
            .family
            .unsupported(Feature::Parts)
            .map(|why| format!("n/a for {why}"))
    }

    /// Why the focused variant has no pipeline stages: `Some` for a conv, vision or own
    /// model, whose layers are not a transformer's.
    pub fn pipeline_na(&self) -> Option<String> {
        self.analytic[self.focus]
            .family
            .unsupported(Feature::PipelineStages)
            .map(|why| format!("n/a: {why}"))
    }

    /// Starts a task that runs every variant in turn, unless it cannot run here or runs
    /// already (then it says so).
    fn start_all(&mut self, task: EveryVariant) -> Vec<Effect> {
        let what = task.what();
        if self.watching.is_some() {
            self.info(format!(
                "{what} runs on a live engine, not on a recorded run"
            ));
            return vec![];
        }
        let (na, running) = match task {
            EveryVariant::Train => (self.training_na(), self.progress_of(&self.training)),
            EveryVariant::Generate => (
                self.generation_na().map(str::to_owned),
                self.progress_of(&self.generation),
            ),
        };
        if let Some(na) = na {
            self.info(na);
            return vec![];
        }
        if let Some(progress) = running {
            self.info(format!("{what} is running: {progress}"));
            return vec![];
        }
        let variants: Vec<String> = self.analytic.iter().map(|v| v.name.clone()).collect();
        match task {
            EveryVariant::Train => self.training = TrainState::start(variants),
            EveryVariant::Generate => self.generation = GenerateState::start(variants),
        }
        vec![Effect::Engine(EngineCmd::Run(task.request()))]
    }

    /// How far a running task over every variant got; `None` when it is not running.
    fn progress_of<R: work::VariantRun, P: Default>(&self, all: &RunAll<R, P>) -> Option<String> {
        all.running().then(|| {
            format!(
                "{} of {} variants done, now {}",
                all.done(),
                self.analytic.len(),
                all.current().unwrap_or_default()
            )
        })
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let engine = |cmd: Command| vec![Effect::Engine(cmd)];
        if let Some(origin) = &self.watching
            && action.steers_the_engine()
        {
            let text = format!("watching {origin}: a recorded run cannot be steered from here");
            self.info(text);
            return vec![];
        }
        match action {
            Action::Quit => {
                self.should_quit = true;
                engine(EngineCmd::Stop)
            }
            Action::Dismiss => {
                if self.show_help {
                    self.show_help = false;
                } else {
                    self.message = None;
                }
                vec![]
            }
            Action::ToggleHelp => {
                self.show_help = !self.show_help;
                self.help_scroll = 0;
                vec![]
            }
            Action::Scroll(by) if self.show_help => {
                // The help is on top: it scrolls, not the view under it.
                self.help_scroll = self.drawn.help.scrolled(self.help_scroll, by);
                vec![]
            }
            Action::Scroll(by) => {
                self.scroll = self.drawn.viewport.scrolled(self.scroll, by);
                vec![]
            }
            Action::Filter(key) => self.on_filter_key(key),
            Action::SortNext | Action::SortPrev => {
                let key = arrange::step(
                    &self.table,
                    self.sort.map(|s| s.key),
                    action == Action::SortNext,
                );
                self.sort = key.map(|key| Sort {
                    key,
                    inverted: false,
                });
                vec![]
            }
            Action::SortBy(key) => {
                self.sort = Some(match self.sort {
                    Some(s) if s.key == key => Sort {
                        inverted: !s.inverted,
                        ..s
                    },
                    _ => Sort {
                        key,
                        inverted: false,
                    },
                });
                vec![]
            }
            Action::SortInvert => {
                match self.sort.as_mut() {
                    Some(s) => s.inverted = !s.inverted,
                    None => {
                        self.info("no sort to invert: < and > pick an indicator to sort by".into())
                    }
                }
                vec![]
            }
            Action::ToggleOps => self.toggle_panel(ComparePanel::Ops),
            Action::ToggleModules => self.toggle_panel(ComparePanel::Modules),
            Action::NextView => {
                self.show(self.view.next());
                self.measure_for_view()
            }
            Action::ShowView(view) => {
                self.show(view);
                self.measure_for_view()
            }
            Action::MoreStages | Action::FewerStages => {
                let most = self
                    .suite
                    .variants
                    .iter()
                    .find(|v| v.name == self.focused_name())
                    .and_then(|v| v.transformer_dims())
                    .map_or(1, |d| d.n_layers);
                let stages = if action == Action::MoreStages {
                    (self.pipeline.stages + 1).min(most)
                } else {
                    self.pipeline.stages.saturating_sub(1).max(1)
                };
                if stages == self.pipeline.stages {
                    self.info(format!(
                        "{} has {most} layers: 1 to {most} stages",
                        self.focused_name()
                    ));
                    return vec![];
                }
                self.pipeline.stages = stages;
                self.measure_for_view()
            }
            Action::StartTraining => self.start_all(EveryVariant::Train),
            Action::StartGeneration => self.start_all(EveryVariant::Generate),
            Action::StartSweep => {
                if self.watching.is_some() {
                    self.info("a sweep runs on a live engine, not on a recorded run".into());
                    return vec![];
                }
                if self.sweep.running() {
                    self.info(format!(
                        "a sweep is running: {} of {} batch sizes measured",
                        self.sweep.points.len(),
                        self.sweep.batches.len()
                    ));
                    return vec![];
                }
                self.sweep = SweepState {
                    batches: SWEEP_BATCHES.to_vec(),
                    points: Vec::new(),
                    backend: self
                        .summary
                        .as_ref()
                        .map(|s| s.run.backend)
                        .or(Some(self.backend)),
                    restore: self.batch,
                };
                self.history = History::default();
                engine(EngineCmd::Sweep(SWEEP_BATCHES.to_vec()))
            }
            Action::MoreMicroBatches => {
                self.pipeline.micro_batches = (self.pipeline.micro_batches * 2).min(256);
                vec![]
            }
            Action::FewerMicroBatches => {
                self.pipeline.micro_batches = (self.pipeline.micro_batches / 2).max(1);
                vec![]
            }
            Action::NextBackend | Action::PrevBackend => {
                // A backend found unavailable this session is skipped from then on.
                let cycle: Vec<Backend> = Backend::cycle()
                    .into_iter()
                    .filter(|b| *b == self.backend || !self.unavailable.contains(b))
                    .collect();
                let i = cycle.iter().position(|b| *b == self.backend).unwrap_or(0);
                let step = if action == Action::NextBackend {
                    1
                } else {
                    cycle.len() - 1
                };
                self.backend = cycle[(i + step) % cycle.len()];
                engine(EngineCmd::SelectBackend(self.backend))
            }
            Action::FocusNext | Action::FocusPrev | Action::Focus(_) => {
                let n = self.analytic.len();
                // ← → step through the variants as the tables show them.
                let shown = self.shown();
                let at = shown.iter().position(|&i| i == self.focus);
                let m = shown.len();
                self.focus = match (action, at) {
                    (Action::FocusNext, Some(k)) => shown[(k + 1) % m],
                    (Action::FocusPrev, Some(k)) => shown[(k + m - 1) % m],
                    (Action::FocusNext | Action::FocusPrev, None) => shown[0],
                    (Action::Focus(i), _) if i < n => i,
                    _ => return vec![],
                };
                if self.watching.is_some() {
                    return vec![];
                }
                let n_layers = self
                    .suite
                    .variant(self.focused_name())
                    .and_then(|v| v.transformer_dims())
                    .map_or(1, |d| d.n_layers);
                self.pipeline.stages = self.pipeline.stages.min(n_layers);
                let mut effects = engine(EngineCmd::Focus(self.focused_name().to_owned()));
                effects.extend(self.measure_for_view());
                effects
            }
            Action::TogglePause => {
                self.paused = !self.paused;
                engine(if self.paused {
                    EngineCmd::Pause
                } else {
                    EngineCmd::Resume
                })
            }
            Action::DoubleBatch | Action::HalveBatch => {
                let batch = if action == Action::DoubleBatch {
                    (self.batch * 2).min(crate::arch::MAX_BATCH)
                } else {
                    (self.batch / 2).max(1)
                };
                if batch == self.batch {
                    return vec![];
                }
                let at_batch = self.suite.at_batch(batch);
                match ModelsReport::new(&at_batch) {
                    Ok(report) => {
                        self.batch = batch;
                        self.table = report.table();
                        self.analytic = report.variants;
                        self.history = History::default();
                        engine(EngineCmd::SetBatch(batch))
                    }
                    Err(e) => {
                        self.error(e.to_string());
                        vec![]
                    }
                }
            }
            Action::ResetStats => {
                self.history = History::default();
                engine(EngineCmd::ResetStats)
            }
            Action::Snapshot => vec![Effect::Snapshot],
        }
    }

    pub fn on_engine(&mut self, event: Event) {
        match event {
            EngineEvent::Summary(summary) => {
                self.history.record(&summary);
                self.paused = summary.paused;
                if self.watching.is_some() {
                    self.backend = summary.run.backend;
                }
                if self.watching.is_some() || self.sweep.running() {
                    self.batch = summary.run.batch;
                }
                self.summary = Some(*summary);
                // The table costs a cost-model pass per variant: only while it is on screen.
                if self.view.needs() == Needs::Table {
                    self.refresh_table();
                }
            }
            EngineEvent::SweepPoint(point) => {
                if self.sweep.running() {
                    self.sweep.points.push(*point);
                    if !self.sweep.running() {
                        self.batch = self.sweep.restore;
                        let flips = self.sweep.report().map_or(0, |r| r.flips.len());
                        self.info(format!(
                            "sweep done: {} batch sizes, {flips} ranking flips (view {})",
                            self.sweep.points.len(),
                            View::Sweep.number()
                        ));
                    }
                }
            }
            EngineEvent::Report(Report::TrainProgress { variant, points }) => {
                self.training.progress(variant, points)
            }
            EngineEvent::Report(Report::Trained(result)) => {
                if self.training.finish(*result) {
                    let reached = self.training.runs.iter().filter(|r| r.reached).count();
                    self.info(format!(
                        "training done: {reached} of {} variants reached the target (view {})",
                        self.analytic.len(),
                        View::Train.number()
                    ));
                }
            }
            EngineEvent::Report(Report::Generated(result)) => {
                let last = self.generation.finish(*result);
                if self.view.needs() == Needs::Table {
                    self.refresh_table();
                }
                if last {
                    self.info(format!(
                        "generation done: {} of {} variants measured (view {})",
                        self.generation.runs.len(),
                        self.analytic.len(),
                        View::Generate.number()
                    ));
                }
            }
            EngineEvent::Report(Report::Parts(parts)) => {
                self.parts_pending = false;
                self.parts = Some(*parts);
            }
            EngineEvent::Report(Report::Stages(latencies)) => {
                self.pipeline.pending = false;
                self.pipeline.latencies = Some(*latencies);
            }
            EngineEvent::Error(error) => {
                // A failed stage or part measurement answers the request too.
                self.pipeline.pending = false;
                self.parts_pending = false;
                if error.lost_remote() {
                    self.error(format!(
                        "the remote device failed, its connection lost ({error}); b switches to a local backend"
                    ))
                } else {
                    self.error(error.to_string())
                }
            }
            EngineEvent::Unavailable {
                backend,
                reason,
                staying_on,
            } => {
                if let Some(previous) = staying_on {
                    self.backend = previous;
                }
                if !self.unavailable.contains(&backend) {
                    self.unavailable.push(backend);
                }
                self.error(format!("{backend} is unavailable: {reason}"));
            }
            EngineEvent::Finished => {}
        }
    }

    fn show(&mut self, view: View) {
        if view != self.view {
            self.scroll = 0;
        }
        self.view = view;
        if view.needs() == Needs::Table {
            self.refresh_table();
        }
    }

    /// The Compare table from the latest summary and the analytic figures already held; a
    /// cost-model pass only while the engine has not reached the batch asked for yet.
    fn refresh_table(&mut self) {
        let Some(summary) = &self.summary else {
            return;
        };
        let suite = self.suite.at_batch(summary.run.batch);
        let fresh;
        let analytic = if summary.run.batch == self.batch {
            &self.analytic
        } else {
            match ModelsReport::new(&suite) {
                Ok(report) => {
                    fresh = report.variants;
                    &fresh
                }
                Err(_) => return,
            }
        };
        self.table = compare_table(&suite, &pair(analytic, summary), &summary.run);
        if !self.generation.runs.is_empty() {
            let rows = crate::generate::measured_rows(&self.table.columns, &self.generation.runs);
            self.table.rows.extend(rows);
        }
    }

    /// Asks for what the view on screen needs and does not have: the focused variant's
    /// pipeline stages, or its parts for the roofline.
    fn measure_for_view(&mut self) -> Vec<Effect> {
        match self.view.needs() {
            Needs::Parts => self.measure_parts_if_needed(),
            Needs::Stages => self.measure_stages_if_needed(),
            Needs::Summaries | Needs::Table => vec![],
        }
    }

    fn measure_stages_if_needed(&mut self) -> Vec<Effect> {
        if self.watching.is_some() || self.pipeline.pending || self.pipeline_na().is_some() {
            return vec![];
        }
        let current = self.pipeline.latencies.as_ref().is_some_and(|l| {
            l.variant == self.focused_name()
                && l.layers.len() == self.pipeline.stages
                && self
                    .summary
                    .as_ref()
                    .is_none_or(|s| s.run.backend == l.backend && s.run.batch == l.micro_batch)
        });
        if current {
            return vec![];
        }
        self.pipeline.pending = true;
        vec![Effect::Engine(EngineCmd::Run(Request::Stages(
            self.pipeline.stages,
        )))]
    }

    fn measure_parts_if_needed(&mut self) -> Vec<Effect> {
        if self.watching.is_some() || self.parts_pending || self.parts_na().is_some() {
            return vec![];
        }
        let current = self.parts.as_ref().is_some_and(|p| {
            p.variant == self.focused_name()
                && self
                    .summary
                    .as_ref()
                    .is_none_or(|s| s.run.backend == p.backend && s.run.batch == p.batch)
        });
        if current {
            return vec![];
        }
        self.parts_pending = true;
        vec![Effect::Engine(EngineCmd::Run(Request::Parts))]
    }

    /// The current figures as a snapshot taken at `now`; None before the first summary.
    pub fn snapshot(&self, now: SystemTime) -> Option<Result<Snapshot, crate::cost::CountError>> {
        self.summary.as_ref().map(|s| {
            let mut snapshot = Snapshot::new(&self.suite, s, self.host.clone(), now)?;
            if s.run.batch == self.batch {
                for v in &mut snapshot.variants {
                    let held = self.analytic.iter().find(|a| a.name == v.analytic.name);
                    v.analytic.traced = held.and_then(|a| a.traced.clone());
                }
            }
            snapshot.pipeline = self.pipeline.latencies.clone().map(|l| {
                let mut counts = SNAPSHOT_MICRO_BATCHES.to_vec();
                if !counts.contains(&self.pipeline.micro_batches) {
                    counts.push(self.pipeline.micro_batches);
                    counts.sort_unstable();
                }
                let mut report = PipelineReport::new(l, &counts);
                report.drawn_micro_batches = self.pipeline.micro_batches;
                report
            });
            snapshot.sweep = self.sweep.report();
            snapshot.parts = self.parts.clone();
            snapshot.training =
                (!self.training.runs.is_empty()).then(|| self.training.runs.clone());
            snapshot.generation =
                (!self.generation.runs.is_empty()).then(|| self.generation.runs.clone());
            // The ranks take in what generation measured.
            snapshot.ranks = crate::report::Ranks::from_table(&snapshot.table());
            Ok(snapshot)
        })
    }

    /// What the Roofline view draws: every measured variant and the focused one's parts, from
    /// the analytic figures already held (no snapshot is built per frame). None before the
    /// peaks, or while the analytic figures are at a batch the engine has not reached yet.
    pub fn roofline(&self) -> Option<crate::roofline::Roofline> {
        let summary = self.summary.as_ref()?;
        if summary.run.batch != self.batch {
            return None;
        }
        let parts = self
            .parts
            .as_ref()
            .filter(|p| p.backend == summary.run.backend);
        Some(crate::roofline::Roofline::of_models(
            summary.run.backend,
            summary.run.peaks?,
            &pair(&self.analytic, summary),
            parts,
        ))
    }

    pub fn error(&mut self, text: String) {
        self.message = Some(Message {
            text,
            is_error: true,
        });
    }

    pub fn info(&mut self, text: String) {
        self.message = Some(Message {
            text,
            is_error: false,
        });
    }
}
