//! CLIXML decode throughput on a realistic stream, beside quick-xml's raw tokenizer on the same
//! bytes (issue #3, deliverable 7).
//!
//! The input is generated at bench time: 10⁵ objects shaped like what Windows PowerShell sends
//! for `Get-Service` and `Get-Process` (`Deserialized.` type names, `<TN>`/`<TNRef>`, enums as
//! nested `<Obj>`, nested service lists, `<Props>` and `<MS>`), as one Export-Clixml document
//! (one RefId space, so type names are shared via `<TNRef>`).
//!
//! Run: `cargo bench --bench clixml_decode`. Besides criterion's report it prints one summary
//! line with MB/s, objects/s and the decode/tokenizer ratio.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use psremote_clixml::{
    Limits, ListKind, ObjContent, PsObject, Value, from_str_with, to_objs_document,
};

const OBJECTS: usize = 100_000;

fn enum_obj(type_name: &str, member: &str, v: i32) -> Value {
    Value::object(
        PsObject::with_type_names([
            type_name,
            "System.Enum",
            "System.ValueType",
            "System.Object",
        ])
        .with_to_string(member)
        .with_content(ObjContent::Value(Value::I32(v))),
    )
}

fn string_list(type_name: &str, items: &[String]) -> Value {
    Value::object(
        PsObject::with_type_names([type_name, "System.Object"]).with_content(ObjContent::List(
            ListKind::List,
            items.iter().map(|s| Value::String(s.clone())).collect(),
        )),
    )
}

fn service(i: usize) -> Value {
    let name = format!("Svc{i:06}");
    let deps: Vec<String> = (0..(i % 3)).map(|d| format!("RpcSs{d}")).collect();
    let running = !i.is_multiple_of(4);
    let mut o = PsObject::with_type_names([
        "Deserialized.System.ServiceProcess.ServiceController",
        "Deserialized.System.ComponentModel.Component",
        "Deserialized.System.MarshalByRefObject",
        "Deserialized.System.Object",
    ])
    .with_to_string(format!("System.ServiceProcess.ServiceController ({name})"))
    .with_adapted("Name", name.clone())
    .with_adapted(
        "RequiredServices",
        string_list(
            "Deserialized.System.ServiceProcess.ServiceController[]",
            &deps,
        ),
    )
    .with_adapted("CanPauseAndContinue", false)
    .with_adapted("CanShutdown", i.is_multiple_of(5))
    .with_adapted("CanStop", running)
    .with_adapted(
        "DisplayName",
        format!("Windows Service Number {i} & Co <x>"),
    )
    .with_adapted(
        "DependentServices",
        string_list(
            "Deserialized.System.ServiceProcess.ServiceController[]",
            &[],
        ),
    )
    .with_adapted("MachineName", ".")
    .with_adapted("ServiceName", name)
    .with_adapted(
        "ServicesDependedOn",
        string_list(
            "Deserialized.System.ServiceProcess.ServiceController[]",
            &deps,
        ),
    )
    .with_adapted("ServiceHandle", Value::Null)
    .with_adapted(
        "Status",
        if running {
            enum_obj(
                "System.ServiceProcess.ServiceControllerStatus",
                "Running",
                4,
            )
        } else {
            enum_obj(
                "System.ServiceProcess.ServiceControllerStatus",
                "Stopped",
                1,
            )
        },
    )
    .with_adapted(
        "ServiceType",
        enum_obj("System.ServiceProcess.ServiceType", "Win32OwnProcess", 16),
    )
    .with_adapted(
        "StartType",
        enum_obj("System.ServiceProcess.ServiceStartMode", "Automatic", 2),
    )
    .with_adapted("Site", Value::Null)
    .with_adapted("Container", Value::Null);
    o.extended.push(psremote_clixml::Property {
        name: "PSComputerName".into(),
        value: Value::String("WIN-NNMU24VVKJ0".into()),
    });
    Value::object(o)
}

fn process(i: usize) -> Value {
    let name = ["svchost", "explorer", "pwsh", "lsass", "winlogon"][i % 5];
    Value::object(
        PsObject::with_type_names([
            "Deserialized.System.Diagnostics.Process",
            "Deserialized.System.ComponentModel.Component",
            "Deserialized.System.MarshalByRefObject",
            "Deserialized.System.Object",
        ])
        .with_to_string(format!("System.Diagnostics.Process ({name})"))
        .with_adapted("Id", i32::try_from(i).unwrap_or(0) * 4)
        .with_adapted("ProcessName", name)
        .with_adapted("Handles", 200 + (i % 900) as i32)
        .with_adapted("WorkingSet64", 1_048_576i64 * (i % 300) as i64)
        .with_adapted("CPU", (i as f64) * 0.015625)
        .with_adapted(
            "StartTime",
            Value::DateTime(psremote_clixml::DateTime(format!(
                "2026-11-{:02}T{:02}:{:02}:{:02}.{:07}+00:00",
                1 + i % 28,
                i % 24,
                i % 60,
                (i * 7) % 60,
                i % 10_000_000
            ))),
        )
        .with_adapted("Responding", true)
        .with_adapted(
            "PriorityClass",
            enum_obj("System.Diagnostics.ProcessPriorityClass", "Normal", 32),
        )
        .with_extended("PSComputerName", "WIN-NNMU24VVKJ0"),
    )
}

/// ~50 MB: 10⁵ objects, one service for every seven processes.
fn corpus() -> String {
    let values: Vec<Value> = (0..OBJECTS)
        .map(|i| {
            if i.is_multiple_of(8) {
                service(i)
            } else {
                process(i)
            }
        })
        .collect();
    to_objs_document(&values)
}

fn tokenize(xml: &str) -> usize {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut events = 0usize;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return events,
            Ok(e) => {
                black_box(&e);
                events += 1;
            }
            Err(_) => return usize::MAX,
        }
    }
}

fn decode(xml: &str) -> Vec<Value> {
    match from_str_with(xml, &Limits::UNLIMITED_SIZE) {
        Ok(v) => v,
        Err(e) => panic!("corpus does not decode: {e}"),
    }
}

/// Best of `runs` wall times (the result is dropped outside the timing).
fn best<T>(runs: usize, f: impl Fn() -> T) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            let out = black_box(f());
            let elapsed = t.elapsed();
            drop(out);
            elapsed
        })
        .min()
        .unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let xml = corpus();
    let mb = xml.len() as f64 / 1e6;
    assert_eq!(decode(&xml).len(), OBJECTS);

    let decode_t = best(5, || decode(&xml));
    let token_t = best(5, || tokenize(&xml));
    let decode_mbs = mb / decode_t.as_secs_f64();
    let token_mbs = mb / token_t.as_secs_f64();
    println!(
        "clixml_decode summary: input {mb:.1} MB, {OBJECTS} objects; decode {decode_mbs:.0} MB/s \
         ({:.0} objects/s); quick-xml tokenizer {token_mbs:.0} MB/s; ratio {:.2}",
        OBJECTS as f64 / decode_t.as_secs_f64(),
        decode_mbs / token_mbs
    );

    let mut g = c.benchmark_group("clixml_decode_bytes");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Bytes(xml.len() as u64));
    g.bench_function("psremote_clixml::from_str", |b| {
        b.iter_with_large_drop(|| decode(black_box(&xml)))
    });
    g.bench_function("quick_xml_tokenizer", |b| {
        b.iter(|| tokenize(black_box(&xml)))
    });
    g.finish();

    let mut g = c.benchmark_group("clixml_decode_objects");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(OBJECTS as u64));
    g.bench_function("psremote_clixml::from_str", |b| {
        b.iter_with_large_drop(|| decode(black_box(&xml)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
