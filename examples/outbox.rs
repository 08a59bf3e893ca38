//! Benchmark of the event outbox (issue 16, item 5; run by bench/events.sh):
//!
//! 1. what emitting an event adds to a write: N transactions that write one
//!    audit row, against N that write it and emit an event (with one webhook
//!    subscribed, so the delivery row is written too), alternating;
//! 2. events per second through the outbox to a local receiver: E events
//!    emitted, then the worker's rounds until every delivery is recorded.
//!
//! `DATABASE_URL` names a fresh database (SQLite file or PostgreSQL).
//! `cargo run --release --example outbox -- [N] [E]`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use rbpk::config::WebhookSettings;
use rbpk::db::{self, audit::Actor, DbConnection, DbError};
use rbpk::domain::event::{EventType, NewEvent};
use rbpk::webhooks::Worker;

fn main() -> Result<(), String> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(2000);
    let e = args.get(1).copied().unwrap_or(5000);
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set".to_string())?;
    let pool = db::connect_pool(&url, 4)?;
    let mut conn = db::conn(&pool).map_err(|e| e.to_string())?;
    db::run_migrations(&mut conn)?;
    let port = receiver();
    let actor = Actor::system("bench");
    let fields = db::webhooks::WebhookFields {
        url: format!("http://127.0.0.1:{port}/hook"),
        events: vec![EventType::ImportFinished],
        active: true,
    };
    db::transaction(&mut conn, |c| {
        db::webhooks::create(
            c,
            &actor,
            fields,
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            None,
        )
    })
    .map_err(|e| e.to_string())?;

    // 1. The write alone against the write with its event, alternating.
    let write = |c: &mut DbConnection, with_event: bool| -> Result<(), DbError> {
        db::audit::record(c, &actor, "bench", "bench", "x", None, None)?;
        if with_event {
            db::events::emit(c, event())?;
        }
        Ok(())
    };
    let (mut plain, mut emitting) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..2 * n {
        let with_event = i % 2 == 1;
        let t = Instant::now();
        db::transaction(&mut conn, |c| write(c, with_event)).map_err(|e| e.to_string())?;
        let spent = t.elapsed();
        if with_event {
            emitting.push(spent);
        } else {
            plain.push(spent);
        }
    }
    let (p50a, p95a) = percentiles(&mut plain);
    let (p50b, p95b) = percentiles(&mut emitting);
    println!(
        "write alone: p50 {:.3} ms, p95 {:.3} ms; with its event: p50 {:.3} ms, p95 {:.3} ms; added at p50: {:.3} ms ({n} each)",
        ms(p50a),
        ms(p95a),
        ms(p50b),
        ms(p95b),
        ms(p50b.saturating_sub(p50a))
    );
    // Those events are already waiting: deliver them first, untimed.
    let worker = Worker::new(WebhookSettings {
        allow_hosts: vec![format!("127.0.0.1:{port}")],
        ..WebhookSettings::default()
    });
    while worker.round(&pool)? > 0 {}

    // 2. E events, then the worker until all are delivered.
    for _ in 0..e {
        db::transaction(&mut conn, |c| db::events::emit(c, event()).map(|_| ()))
            .map_err(|e| e.to_string())?;
    }
    drop(conn);
    let t = Instant::now();
    let mut delivered = 0;
    while delivered < e {
        let n = worker.round(&pool)?;
        if n == 0 {
            return Err(format!("the worker stopped after {delivered} of {e}"));
        }
        delivered += n;
    }
    let spent = t.elapsed();
    println!(
        "delivered {e} events to a local receiver in {:.2} s: {:.0} events/s (one worker, one webhook)",
        spent.as_secs_f64(),
        e as f64 / spent.as_secs_f64()
    );
    Ok(())
}

fn event() -> NewEvent {
    NewEvent {
        event_type: EventType::ImportFinished,
        company_id: None,
        opd_code: None,
        data: serde_json::json!({"import_id": "bench", "status": "done"}),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentiles(v: &mut [Duration]) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[v.len() * 95 / 100])
}

/// A receiver that answers 204 to every request, keeping connections open.
fn receiver() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let Ok(mut out) = stream.try_clone() else {
                    return;
                };
                let mut reader = BufReader::new(stream);
                loop {
                    let mut line = String::new();
                    let mut length = 0usize;
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some((k, v)) = line.split_once(':') {
                            if k.eq_ignore_ascii_case("content-length") {
                                length = v.trim().parse().unwrap_or(0);
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err()
                        || out.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    port
}
