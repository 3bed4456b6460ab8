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
    let listener = TcpListener::bind((args.bind, args.port)).map_err(|e| {
        CliError::Usage(format!("cannot listen on {}:{}: {e}", args.bind, args.port))
    })?;
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
    // How to connect, on stdout; a reader that went away is no reason to stop serving.
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "effprof: serving {} ({}) on ws://{addr}; Ctrl-C stops",
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
