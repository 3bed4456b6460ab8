//! `effprof serve`: serve this machine's device to effprof on another one, through
//! burn-remote over a WebSocket (`--backend remote:ws://host:port` there).

use std::net::{IpAddr, TcpListener};

use super::*;
use crate::backend::TOKEN_VAR;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The backend to serve: ndarray, flex, wgpu, wgpu:cpu, cuda:N, ...
    #[arg(long, short, default_value = "flex")]
    pub backend: Backend,
    /// The port to listen on (0: any free one, printed).
    #[arg(long, short, default_value_t = 3000)]
    pub port: u16,
    /// The address to listen on: 127.0.0.1 for this machine only, 0.0.0.0 for every interface.
    #[arg(long, default_value = "0.0.0.0")]
    pub bind: IpAddr,
    /// Admit any client, without a token (only on a network you trust).
    #[arg(long)]
    pub no_token: bool,
}

/// A token of 128 random bits, from the OS's randomness that std's hash keys are drawn from.
fn random_token() -> String {
    use std::hash::{BuildHasher, RandomState};
    let a = RandomState::new().hash_one(std::time::SystemTime::now());
    let b = RandomState::new().hash_one(std::process::id());
    format!("{a:016x}{b:016x}")
}

/// The WebSocket's listener on `port`, and the host channel's on the next port where it is
/// free; with port 0, a free pair.
fn bind_pair(ip: IpAddr, port: u16) -> Result<(TcpListener, Option<TcpListener>), CliError> {
    let bind = |port: u16| {
        TcpListener::bind((ip, port))
            .map_err(|e| CliError::Usage(format!("cannot listen on {ip}:{port}: {e}")))
    };
    let next = |l: &TcpListener| {
        let p = l.local_addr().ok()?.port().checked_add(1)?;
        TcpListener::bind((ip, p)).ok()
    };
    if port != 0 {
        let listener = bind(port)?;
        let channel = next(&listener);
        return Ok((listener, channel));
    }
    let mut first = None;
    for _ in 0..20 {
        let listener = bind(0)?;
        if let Some(channel) = next(&listener) {
            return Ok((listener, Some(channel)));
        }
        first.get_or_insert(listener);
    }
    Ok((first.expect("bound at least once"), None))
}

pub(super) fn run(args: ServeArgs) -> Result<(), CliError> {
    use burn::server::{RemoteServer, TokenAuthorizer, WebSocketTransport};
    if matches!(args.backend, Backend::Remote(_)) {
        return Err(CliError::Usage(
            "--backend: serve a local backend (flex, ndarray, wgpu, cuda:N), not a remote one"
                .into(),
        ));
    }
    let opened = args
        .backend
        .open()
        .map_err(|e| CliError::Unavailable(e.to_string()))?;
    let (listener, channel) = bind_pair(args.bind, args.port)?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Other(e.into()))?;
    // The token comes from the environment where one is set (so a script can choose it
    // without putting it on a command line), else it is made here.
    let token = match (args.no_token, std::env::var(TOKEN_VAR)) {
        (true, _) => None,
        (false, Ok(t)) if !t.is_empty() => Some(t),
        (false, _) => Some(random_token()),
    };
    let host = match args.bind.is_unspecified() {
        true => "THIS-HOST".to_owned(),
        false => addr.ip().to_string(),
    };
    // The host channel (the next port) says what this machine is, which burn-remote does not.
    let channel_note = match channel {
        Some(channel) => {
            crate::backend::answer_host_channel(
                channel,
                token.clone(),
                crate::backend::ServedHost {
                    schema: crate::backend::HOST_SCHEMA.to_owned(),
                    host: crate::snapshot::Host::detect(),
                    backend: args.backend.to_string(),
                    adapter: opened.adapter.clone(),
                },
            );
            format!("this host described on port {}", addr.port() + 1)
        }
        None => format!(
            "port {} is taken: clients will not know this host (n/a: remote device)",
            addr.port().wrapping_add(1)
        ),
    };
    // How to connect, on stdout; a reader that went away is no reason to stop serving.
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "effprof: serving {} ({}) on ws://{addr}; {channel_note}; Ctrl-C stops",
        args.backend, opened.adapter
    );
    let _ = match &token {
        Some(t) => writeln!(
            out,
            "connect with:\n  {TOKEN_VAR}={t} effprof --backend remote:ws://{host}:{}",
            addr.port()
        ),
        None => writeln!(
            out,
            "connect with:\n  effprof --backend remote:ws://{host}:{}\n(any client is admitted: --no-token)",
            addr.port()
        ),
    };
    let _ = out.flush();
    let mut server = RemoteServer::new([opened.device]);
    if let Some(t) = token {
        let authorizer =
            TokenAuthorizer::new(t).map_err(|e| CliError::Usage(format!("the token: {e}")))?;
        server = server.with_authorizer(authorizer);
    }
    server
        .serve(WebSocketTransport::from_listener(listener))
        .map_err(|e| CliError::Other(color_eyre::eyre::eyre!("serving on ws://{addr}: {e}")))
}
