//! The codec benchmark: every parser on every Lync message (one criterion group per message)
//! and on the whole corpus per iteration (group `corpus`), with `Throughput::Bytes`.
//!
//! Before timing anything it checks every adapter's extracted values ([`verify`]) and writes
//! `<target>/sfb-bench-meta.json` (group sizes and the per-parser notes) for
//! `cargo xtask bench codec`. `SFB_BENCH_QUICK=1` shortens warm-up and measurement.

use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use sfb_bench_peers::{Checksum, Input, Parser, load_corpus, meta_json, verify};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

fn main() {
    if let Err(e) = run() {
        #[allow(clippy::print_stderr)] // a bench binary reports its failure on stderr
        {
            eprintln!("codec bench: {e}");
        }
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let inputs = load_corpus()?;
    let problems = verify(&inputs);
    if !problems.is_empty() {
        return Err(format!("adapter check failed:\n{}", problems.join("\n")).into());
    }

    let quick = std::env::var_os("SFB_BENCH_QUICK").is_some_and(|v| v == "1");
    let mut c = if quick {
        Criterion::default()
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(700))
            .sample_size(10)
            .without_plots()
    } else {
        Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(50)
    }
    .configure_from_args();

    let mut sizes = Vec::new();
    for input in &inputs {
        let mut g = c.benchmark_group(&input.name);
        g.throughput(Throughput::Bytes(input.raw.len() as u64));
        for p in Parser::ALL {
            if p.unsupported(&input.name).is_none() {
                bench(&mut g, p, std::slice::from_ref(input));
            }
        }
        g.finish();
        sizes.push((input.name.clone(), input.raw.len(), 1));
    }

    let total: usize = inputs.iter().map(|i| i.raw.len()).sum();
    let mut g = c.benchmark_group("corpus");
    g.throughput(Throughput::Bytes(total as u64));
    for p in Parser::ALL {
        // A parser that rejects one of the messages did less work: it is left out here.
        if inputs.iter().all(|i| p.unsupported(&i.name).is_none()) {
            bench(&mut g, p, &inputs);
        }
    }
    g.finish();
    sizes.push(("corpus".to_owned(), total, inputs.len()));

    let common: Vec<Input> = inputs
        .iter()
        .filter(|i| Parser::ALL.iter().all(|p| p.unsupported(&i.name).is_none()))
        .cloned()
        .collect();
    if !common.is_empty() && common.len() != inputs.len() {
        let bytes: usize = common.iter().map(|i| i.raw.len()).sum();
        let mut g = c.benchmark_group("corpus-common");
        g.throughput(Throughput::Bytes(bytes as u64));
        for p in Parser::ALL {
            bench(&mut g, p, &common);
        }
        g.finish();
        sizes.push(("corpus-common".to_owned(), bytes, common.len()));
    }

    c.final_summary();
    let meta = target_dir().join("sfb-bench-meta.json");
    std::fs::write(&meta, serde_json::to_vec_pretty(&meta_json(&sizes))?)
        .map_err(|e| format!("writing {}: {e}", meta.display()))?;
    Ok(())
}

/// One benchmark: the task on every message of `inputs`, per iteration.
fn bench(g: &mut BenchmarkGroup<'_, WallTime>, p: Parser, inputs: &[Input]) {
    g.bench_function(p.name(), |b| {
        b.iter(|| {
            let mut sum = Checksum::default();
            for input in inputs {
                let ok = p.run(black_box(input), &mut sum).is_ok();
                sum.0 = sum.0.wrapping_add(u64::from(ok));
            }
            black_box(sum.0)
        });
    });
}

/// Where `cargo xtask bench codec` looks for the meta file: `$CARGO_TARGET_DIR`, else this
/// crate's `target/` (criterion uses the same directory for its estimates).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}
