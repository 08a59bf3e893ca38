//! The `rbpk` binary: the service and its operator commands.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::TypedValueParser;
use clap::{Parser, Subcommand};

use rbpk::app::{self, AppState};
use rbpk::auth::password;
use rbpk::config::Config;
use rbpk::db::{
    self, audit::Actor, deferred_indexes, household_imports, seed, users, Backend, DbError,
};
use rbpk::demo::data::DemoFormat;
use rbpk::domain::cycle::regency_today;
use rbpk::domain::household::ImportFormat;
use rbpk::domain::role::Role;
use rbpk::import::file::ImportFile;
use rbpk::import::job;
use rbpk::import::sheet::Media;

/// jemalloc, not glibc's malloc: see Cargo.toml (why) and
/// docs/PERFORMANCE.md, session 18 (what it measured).
#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "rbpk",
    version,
    about = "RBPK API: poverty data and CSR (TJSP) programs of Kutai Kartanegara"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (the default).
    Serve,
    /// Apply database migrations and seed the regions, then exit.
    Migrate,
    /// Print the OpenAPI contract (or write it to a file).
    Openapi {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Create the first admin account; the password comes from
    /// RBPK_ADMIN_PASSWORD or the first line of standard input.
    CreateAdmin { username: String },
    /// Import P3KE or DTKS files (each its own import), or the files of one
    /// DTSEN snapshot (families, members, code books: one import), through
    /// the same code as the endpoint.
    Import {
        #[arg(long, value_parser = import_format())]
        format: ImportFormat,
        /// The dataset (snapshot) the files belong to; without it one is made
        /// for this command's files.
        #[arg(long)]
        dataset: Option<String>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write synthetic P3KE (CSV and XLSX) and DTKS files, or a DTSEN
    /// snapshot, for demos, tests and benchmarks.
    DemoData {
        /// Only this format's files (`p3ke`, `dtks`, `dtsen`); without it,
        /// the P3KE and DTKS files.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(DemoFormat::NAMES)
            .try_map(|s| DemoFormat::from_name(&s).ok_or("unknown format")))]
        format: Option<DemoFormat>,
        #[arg(long, default_value_t = 1000)]
        families: usize,
        #[arg(long)]
        out: PathBuf,
        /// The same seed writes the same families.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(),
        Command::Migrate => prepare().map(|_| ()),
        Command::Openapi { out } => write_openapi(out),
        Command::CreateAdmin { username } => create_admin(&username),
        Command::Import {
            format,
            dataset,
            files,
        } => import_files(format, dataset.as_deref(), &files),
        Command::DemoData {
            format,
            families,
            out,
            seed,
        } => demo_data(format, families, &out, seed),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rbpk: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the configuration, connects, migrates and seeds the regions.
fn prepare() -> Result<(Config, db::Pool), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let pool = db::connect_pool(&config.database_url, config.pool_size)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let applied = db::run_migrations(&mut conn)?;
    if applied > 0 {
        log::info!("applied {applied} migration(s)");
    }
    seed::regions(&mut conn).map_err(|e| e.to_string())?;
    let interrupted = household_imports::fail_interrupted(&mut conn).map_err(|e| e.to_string())?;
    if interrupted > 0 {
        log::warn!("{interrupted} import(s) were cut off by the last stop and are marked failed");
    }
    match deferred_indexes::build_waiting(&mut conn) {
        Ok(0) => {}
        Ok(built) => log::warn!(
            "made {built} index(es) and foreign key(s) an import cut off by the last stop had put off"
        ),
        // The registry still serves; the key waits for the next import's end or start.
        Err(e @ DbError::Conflict { .. }) => log::error!("{e}"),
        Err(e) => return Err(e.to_string()),
    }
    drop(conn);
    Ok((config, pool))
}

/// Demo accounts: always on the embedded SQLite default, on PostgreSQL only
/// when DEMO_PASSWORD is set; only into a database without users.
fn seed_demo(config: &Config, pool: &db::Pool) -> Result<(), String> {
    let allowed = config.backend == Backend::Sqlite || config.demo_password.is_some();
    if !allowed {
        return Ok(());
    }
    // A password the operator chose is theirs to know; only a generated one
    // is printed, once, so no chosen secret ends up in a log.
    let (password, generated) = match &config.demo_password {
        Some(p) => (p.expose().to_string(), false),
        None => (password::random(), true),
    };
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let created = seed::demo_accounts(&mut conn, &password).map_err(|e| e.to_string())?;
    if created {
        let seeded = rbpk::demo::seed_registry(&mut conn, rbpk::demo::DEMO_FAMILIES)
            .map_err(|e| e.to_string())?;
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        let shown = if generated {
            password.as_str()
        } else {
            "'\"$DEMO_PASSWORD\"'"
        };
        println!();
        println!("Demo accounts created: {}", names.join(", "));
        if generated {
            println!("Their password (generated, shown once): {password}");
        } else {
            println!("Their password: the value of DEMO_PASSWORD");
        }
        println!(
            "Synthetic registry: {} families, {} members (a P3KE dataset and a DTSEN snapshot not to be shared onward; demo data, no real person)",
            seeded.families, seeded.members
        );
        println!("Get a token:");
        println!(
            "  curl -s -X POST http://{}/api/v1/auth/token -H 'Content-Type: application/json' \\\n    -d '{{\"username\":\"bappeda\",\"password\":\"{shown}\"}}'",
            config.bind
        );
        println!("Swagger UI: http://{}/swagger-ui/", config.bind);
        println!();
    }
    Ok(())
}

fn serve() -> Result<(), String> {
    let (config, pool) = prepare()?;
    seed_demo(&config, &pool)?;
    if config.jwt.secret_generated {
        log::warn!(
            "RBPK_JWT_SECRET is not set: signing with a random secret made at start; \
             tokens end when the service stops (set RBPK_JWT_SECRET to keep them)"
        );
    }
    if config.webhooks.worker {
        rbpk::webhooks::Worker::new(config.webhooks.clone())
            .spawn(pool.clone())
            .map_err(|e| format!("cannot start the webhook worker: {e}"))?;
    }
    let state = AppState::new(config.clone(), pool)?;
    log::info!(
        "serving on http://{} ({:?}); files in {}",
        config.bind,
        config.backend,
        state.objects.describe()
    );
    actix_web::rt::System::new().block_on(async move {
        // Database work runs on each worker's blocking threads. A thread
        // without a pooled connection can only wait for one, and every extra
        // thread that allocates keeps its own malloc arena: with actix's
        // default (hundreds per worker) the service's memory tripled under
        // load. So each worker gets its share of the pool, no more.
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let pool_size = usize::try_from(config.pool_size).unwrap_or(usize::MAX);
        actix_web::HttpServer::new(move || app::build(&state))
            .workers(workers)
            .worker_max_blocking_threads(pool_size.div_ceil(workers).max(1))
            .bind(&config.bind)
            .map_err(|e| format!("cannot bind {}: {e}", config.bind))?
            .run()
            .await
            .map_err(|e| e.to_string())
    })
}

fn write_openapi(out: Option<PathBuf>) -> Result<(), String> {
    let json = rbpk::openapi::to_pretty_json(&app::openapi_document());
    match out {
        Some(path) => std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display())),
        None => std::io::stdout()
            .write_all(json.as_bytes())
            .map_err(|e| e.to_string()),
    }
}

fn create_admin(username: &str) -> Result<(), String> {
    let password = match std::env::var("RBPK_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            eprint!("password for {username}: ");
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if let Some(why) = rbpk::domain::account::password_problem(username, &password) {
        return Err(format!("the password {why}"));
    }
    if !rbpk::domain::account::valid_username(username) {
        return Err("the username must be 3–64 letters, digits, `.`, `_` or `-`".into());
    }
    let (_, pool) = prepare()?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let hash = password::hash(&password).map_err(|e| e.to_string())?;
    users::create(
        &mut conn,
        &Actor::system("create-admin"),
        users::NewUser {
            username: username.to_string(),
            password_hash: hash,
            role: Role::Admin,
            company_id: None,
            opd_code: None,
            active: true,
            region_code: None,
        },
    )
    .map_err(|e| e.to_string())?;
    println!("admin account `{username}` created");
    Ok(())
}

/// `--format`: the wire names of [`ImportFormat`], listed in `--help`.
fn import_format() -> impl TypedValueParser<Value = ImportFormat> {
    clap::builder::PossibleValuesParser::new(ImportFormat::ALL.map(ImportFormat::as_str))
        .try_map(|s| s.parse::<ImportFormat>())
}

fn import_files(
    format: ImportFormat,
    dataset: Option<&str>,
    files: &[PathBuf],
) -> Result<(), String> {
    let (_, pool) = prepare()?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let actor = Actor::system("rbpk-import");
    let today = regency_today();
    let dataset = rbpk::db::datasets::for_import(&mut conn, &actor, format.into(), dataset, today)
        .map_err(|e| e.to_string())?;
    // A DTSEN snapshot (families, members, code books) is one import; a P3KE
    // or DTKS file is an import of its own.
    let uploads: Vec<&[PathBuf]> = match format {
        ImportFormat::Dtsen => vec![files],
        _ => files.chunks(1).collect(),
    };
    for upload in uploads {
        let name = upload
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" + ");
        // CSV files are read from disk as streams, never whole.
        let files = upload
            .iter()
            .map(|path| ImportFile::at(path).map_err(|e| format!("{}: {e}", path.display())))
            .collect::<Result<Vec<ImportFile>, String>>()?;
        let started = std::time::Instant::now();
        let rows_total = job::precheck(format, &files).map_err(|e| format!("{name}: {e}"))?;
        let media = match (files.len(), files[0].media()) {
            (2.., _) => "multipart/form-data",
            (_, Media::Xlsx) => "xlsx",
            (_, Media::Csv) => "text/csv",
        };
        let record =
            household_imports::create(&mut conn, &actor, format, media, rows_total, &dataset.id)
                .map_err(|e| e.to_string())?;
        let done = job::run(&mut conn, &actor, &record.id, format, &files, today)
            .map_err(|e| e.to_string())?;
        println!(
            "{}: {} in {:.1} s: {} rows, {} created, {} updated, {} unchanged, {} rejected{}",
            name,
            done.status,
            started.elapsed().as_secs_f64(),
            done.rows_total,
            done.created,
            done.updated,
            done.unchanged,
            done.rejected_count,
            done.error
                .as_ref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        );
        for r in done.rejected_rows().iter().take(20) {
            println!("  line {} ({}): {}", r.line, r.sheet, r.reason);
        }
    }
    Ok(())
}

fn demo_data(
    format: Option<DemoFormat>,
    families: usize,
    out: &std::path::Path,
    seed: u64,
) -> Result<(), String> {
    let regions =
        rbpk::domain::region_lookup::RegionTable::from_csv(rbpk::domain::region::KUKAR_REGIONS_CSV)
            .map_err(|e| e.to_string())?;
    let data = rbpk::demo::data::generate(families, seed, &regions);
    let written = match format {
        None => rbpk::demo::data::write_all(&data, out),
        Some(format) => rbpk::demo::data::write_format(&data, out, format),
    };
    let paths = written.map_err(|e| format!("{}: {e}", out.display()))?;
    for p in paths {
        println!("{}", p.display());
    }
    Ok(())
}
