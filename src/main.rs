//! Entry point: parse flags, dispatch to the TUI or a headless command, and turn errors into
//! one line and an exit code (2 bad input, 1 bug).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use segscope::analysis::eda;
use segscope::cli::{Cli, Command, EdaArgs, InspectArgs, LoadArgs, SampleArgs};
use segscope::commands;
use segscope::error::{self, is_input};
use segscope::report::{self, Format};
use segscope::sample;
use segscope::tui;

/// glibc's malloc, tuned for a process that allocates and frees columns of tens of megabytes
/// (see `SEGSCOPE_TIMINGS=1` and the sys time of a 10M-line `segment`; each setting yields to
/// the user's environment variable of the same name):
/// - `arenas` arenas (MALLOC_ARENA_MAX): glibc gives threads their own arenas, so memory polars
///   frees on one thread is not reused by the next, and the peak grows. Two for the commands;
///   one for the TUI, whose load and jobs all run off the main thread (its peak is lower,
///   BENCHMARKS.md's TUI row);
/// - no mmap for large blocks (MALLOC_MMAP_MAX_), and freed memory kept (MALLOC_TRIM_THRESHOLD_):
///   otherwise every column above 32 MB is fresh pages from the kernel, zeroed and faulted in
///   one by one, and handed back on free; reused, they cost nothing. The peak is unchanged.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_malloc(arenas: i32) {
    unsafe extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
    }
    const M_TRIM_THRESHOLD: i32 = -1;
    const M_MMAP_MAX: i32 = -4;
    const M_ARENA_MAX: i32 = -8;
    for (variable, param, value) in [
        ("MALLOC_ARENA_MAX", M_ARENA_MAX, arenas),
        ("MALLOC_MMAP_MAX_", M_MMAP_MAX, 0),
        ("MALLOC_TRIM_THRESHOLD_", M_TRIM_THRESHOLD, i32::MAX),
    ] {
        if std::env::var_os(variable).is_none() {
            // SAFETY: runs in main before any thread exists; mallopt only sets a limit.
            unsafe {
                mallopt(param, value);
            }
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc(_arenas: i32) {}

fn main() -> ExitCode {
    segscope::timing::start();
    let cli = Cli::parse();
    tune_malloc(if cli.command.is_none() { 1 } else { 2 });
    if cli.command.is_some() {
        clean_up_on_signals();
    }
    let result = {
        use std::io::IsTerminal;
        // Both streams a terminal: a pager reading standard output (`| less`) owns the screen.
        let _spinner = segscope::progress::start(
            cli.command.as_ref().is_some_and(|c| !quick(c))
                && std::io::stderr().is_terminal()
                && std::io::stdout().is_terminal(),
        );
        run(cli)
    };
    segscope::timing::event("done");
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) if is_input(&e) => {
            report::say(&e.to_string());
            ExitCode::from(2)
        }
        Err(e) if is_disk_full(&e) => {
            report::say(&format!(
                "cannot write the output ({}); free some space, or write elsewhere (--out, or redirect standard output)",
                error::first_line(&e)
            ));
            ExitCode::from(2)
        }
        Err(e) => {
            report::say(&format!("internal error: {e:#}"));
            ExitCode::from(1)
        }
    }
}

/// SIGINT, SIGTERM, SIGHUP and SIGQUIT end a headless command without leaving a temporary
/// output file behind (the TUI has its own handling, which restores the terminal).
fn clean_up_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT])
    else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            segscope::output::remove_temporaries();
            std::process::exit(128 + sig);
        }
    });
}

/// Standard output (or a file) on a full disk: the machine's state, not a bug.
fn is_disk_full(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| {
            io.kind() == std::io::ErrorKind::StorageFull
                || io.kind() == std::io::ErrorKind::QuotaExceeded
                || io.kind() == std::io::ErrorKind::FileTooLarge
        })
}

/// Commands that never take a second: no spinner.
fn quick(c: &Command) -> bool {
    matches!(
        c,
        Command::Completions(_) | Command::Man | Command::Sample(_)
    )
}

/// `segscope eda | head` closes stdout early; that is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::Inspect(args)) => run_inspect(&args, &cli.load),
        Some(Command::Eda(args)) => run_eda(&args, &cli.load),
        Some(Command::Sample(args)) => run_sample(&args),
        Some(Command::Segment(args)) => commands::run_segment(&args, &cli.load),
        Some(Command::Sweep(args)) => commands::run_sweep(&args, &cli.load),
        Some(Command::Lookalike(args)) => commands::run_lookalike(&args, &cli.load),
        Some(Command::Migrate(args)) => commands::run_migrate(&args, &cli.load),
        Some(Command::Export(args)) => commands::run_export(&args, &cli.load),
        Some(Command::Assign(args)) => commands::run_assign(&args, &cli.load),
        Some(Command::Rfm(args)) => commands::value::run_rfm(&args, &cli.load),
        Some(Command::Clv(args)) => commands::value::run_clv(&args, &cli.load),
        Some(Command::Cohorts(args)) => commands::value::run_cohorts(&args, &cli.load),
        Some(Command::Completions(args)) => run_completions(args.shell),
        Some(Command::Man) => run_man(),
        None => run_tui(&cli),
    }
}

/// The completion script for `shell`, generated from the same definitions as the parser, so
/// it always knows every command and flag.
fn run_completions(shell: clap_complete::Shell) -> Result<()> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "segscope", &mut out);
    std::io::stdout().lock().write_all(&out)?;
    Ok(())
}

/// The man page, from the same definitions as `--help`.
fn run_man() -> Result<()> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut out)?;
    std::io::stdout().lock().write_all(&out)?;
    Ok(())
}

fn run_inspect(args: &InspectArgs, load_args: &LoadArgs) -> Result<()> {
    let opts = commands::load_options(load_args)?;
    let source = segscope::data::DataSource::from_arg(args.data.as_deref());
    let found = segscope::data::inspect::inspect(&source, &opts)?;
    let mut out = std::io::stdout().lock();
    report::write_inspection(&mut out, &found, args.format)?;
    out.flush()?;
    Ok(())
}

fn run_eda(args: &EdaArgs, load_args: &LoadArgs) -> Result<()> {
    let ds = commands::load(args.data.as_deref(), load_args)?;
    let mut result = eda::all_tables(&ds)?;
    if !args.tables.is_empty() {
        for name in &args.tables {
            if !result.tables.iter().any(|t| &t.name == name) {
                let why = result
                    .skipped
                    .iter()
                    .find(|s| &s.table == name)
                    .map(|s| s.reason.clone());
                let names: Vec<&str> = result.tables.iter().map(|t| t.name.as_str()).collect();
                return Err(error::input(match why {
                    Some(reason) => {
                        format!("--table {name}: not available for this dataset: {reason}")
                    }
                    None => format!(
                        "--table {name}: no such table; tables are {}",
                        names.join(", ")
                    ),
                }));
            }
        }
        result.tables.retain(|t| args.tables.contains(&t.name));
        result.skipped.clear();
    }
    let mut out = std::io::stdout().lock();
    if args.format == Format::Csv && result.tables.len() == 1 {
        report::write_csv_table(&mut out, &result.tables[0])?;
    } else {
        let top = args.top.unwrap_or(eda::TEXT_TOP);
        report::write_eda(&mut out, &result, args.format, top)?;
    }
    out.flush()?;
    Ok(())
}

/// The interactive app. Everything that can fail on bad input (dataset, config, theme) fails
/// before the screen opens, with the same one-line error as the headless commands: the dataset
/// by a trial load of each file's first megabyte (or a full load where that cannot be made, or
/// where it fails), and the full load then runs behind the first frame.
fn run_tui(cli: &Cli) -> Result<()> {
    use std::io::IsTerminal;
    let opts = tui::Options {
        theme: cli.theme.clone(),
        config: cli.config.clone(),
    };
    let (mut config, theme) = tui::prepare(&opts)?;
    config.mouse |= cli.mouse;
    let source = segscope::data::DataSource::from_arg(cli.data.as_deref());
    let opts = commands::load_options(&cli.load)?;
    // The header names the filter, so a sliced screen never passes for the whole data.
    let name = match opts.filters.describe() {
        f if f.is_empty() => source.describe(),
        f => format!("[{f}] {}", source.describe()),
    };
    let filtered = !opts.filters.is_empty();
    let slice = filtered.then(|| opts.filters.describe());
    let start = match segscope::data::precheck(&source, &opts) {
        Ok(true) if !filtered => tui::worker::Start::Load(source.clone(), Box::new(opts)),
        // No quick check possible, or it failed, or a filter must be checked against the
        // values: load in full now, so bad input is refused before the screen opens (a failure
        // on a first megabyte may not be one on the whole).
        _ => tui::worker::Start::Loaded(Box::new(commands::load(cli.data.as_deref(), &cli.load)?)),
    };
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(error::input(
            "the interactive app needs a terminal; for scripts use segscope eda, segment, sweep, lookalike or export",
        ));
    }
    tui::run(start, &name, slice, config, theme)
}

fn run_sample(args: &SampleArgs) -> Result<()> {
    let spec = sample::SampleSpec {
        customers: args.customers,
        transactions: args
            .transactions
            .unwrap_or(args.customers.saturating_mul(10)),
        seed: args.seed,
    };
    let summary = sample::generate(spec, &args.out, args.force)?;
    report::say(&format!(
        "wrote {} customers, {} products, {} transactions to {}",
        summary.customers,
        summary.products,
        summary.transactions,
        args.out.display()
    ));
    Ok(())
}
