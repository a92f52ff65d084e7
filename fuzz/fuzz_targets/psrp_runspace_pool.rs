//! Arbitrary server messages into an opened client RunspacePool with a running pipeline:
//! every input must end in events or a typed error, never a panic, and illegal transitions
//! must be refused. The input is a list of messages, each `type selector, pipeline
//! selector, CLIXML bytes`, separated by NUL bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psremote_psrp::{
    Command, Destination, Fragmenter, Message, MessageType, PipelineOptions, RunspacePool,
    RunspacePoolOptions,
};
use uuid::Uuid;

// PUBLIC_KEY_REQUEST is left out: it makes the client generate an RSA key, which would slow
// every run down without reaching more parsing code (tests/state_machine.rs covers it).
const SERVER_TYPES: [u32; 19] = [
    0x0001_0002,
    0x0001_0006,
    0x0002_1004,
    0x0002_1005,
    0x0002_1008,
    0x0002_1009,
    0x0002_100B,
    0x0002_1100,
    0x0004_1004,
    0x0004_1005,
    0x0004_1006,
    0x0004_1007,
    0x0004_1008,
    0x0004_1009,
    0x0004_1010,
    0x0004_1011,
    0x0004_1100,
    0x0002_1006,
    0x0003_0000,
];

fn server_message(pool: &RunspacePool, mtype: u32, pid: Uuid, data: &[u8]) -> Vec<u8> {
    Message {
        destination: Destination::Client,
        message_type: MessageType::from_u32(mtype),
        rpid: pool.id(),
        pid,
        data: data.to_vec(),
    }
    .encode()
}

fuzz_target!(|data: &[u8]| {
    let mut pool = RunspacePool::new(RunspacePoolOptions {
        runspace_pool_id: Uuid::from_u128(0x5eed),
        ..RunspacePoolOptions::default()
    });
    if pool.open().is_err() {
        return;
    }
    while pool.data_to_send().is_some() {}
    let mut fr = Fragmenter::new(64);
    let opening = [
        (0x0001_0002u32, &b"<Obj><MS><Version N=\"protocolversion\">2.3</Version><Version N=\"PSVersion\">2.0</Version><Version N=\"SerializationVersion\">1.1.0.1</Version></MS></Obj>"[..]),
        (0x0002_1005, &b"<Obj><MS><I32 N=\"RunspaceState\">2</I32></MS></Obj>"[..]),
    ];
    for (t, xml) in opening {
        fr.queue(server_message(&pool, t, Uuid::nil(), xml));
    }
    while let Some(chunk) = fr.next_payload() {
        let _ = pool.receive_data(&chunk);
    }
    let pipeline = Uuid::from_u128(0xF00D);
    let _ = pool.create_pipeline_with_id(
        pipeline,
        Command::new("Get-Item").into(),
        PipelineOptions {
            no_input: false,
            ..PipelineOptions::default()
        },
    );
    for msg in data.split(|&b| b == 0).filter(|m| m.len() >= 2) {
        let t = SERVER_TYPES[usize::from(msg[0]) % SERVER_TYPES.len()];
        let pid = match msg[1] % 3 {
            0 => Uuid::nil(),
            1 => pipeline,
            _ => Uuid::from_u128(u128::from(msg[1])),
        };
        fr.queue(server_message(&pool, t, pid, &msg[2..]));
        while let Some(chunk) = fr.next_payload() {
            let _ = pool.receive_data(&chunk);
        }
        // The client side keeps working or refuses with a typed error.
        let _ = pool.send_input(pipeline, vec![psremote_psrp::clixml::Value::I32(1)]);
        let _ = pool.get_available_runspaces();
        while pool.next_event().is_some() {}
        while pool.data_to_send().is_some() {}
    }
});
