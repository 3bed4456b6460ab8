//! A backend on another machine: `effprof serve` there, `--backend remote:ws://host:port` here.
//! The server's address is interned so that [`super::Backend`] stays a small `Copy` value.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::snapshot::Host;

/// The schema of what `effprof serve` says of itself on its host channel.
pub const HOST_SCHEMA: &str = "effprof.host/1";

/// What a server's host channel (its port + 1) answers: the machine the remote device is on,
/// which burn-remote does not carry, so that a remote snapshot says what it ran on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServedHost {
    pub schema: String,
    pub host: Host,
    /// The backend served, as its server names it (`flex`, `wgpu`).
    pub backend: String,
    /// Its adapter (the GPU's name, or the CPU's for the CPU backends).
    pub adapter: String,
}

/// How long a client waits for a host channel before saying the host is unknown.
const HOST_CHANNEL_LIMIT: Duration = Duration::from_secs(3);

/// Answers every connection to `listener` with `served`, to clients that send `token` as
/// their first line (any client where there is no token), on a thread of its own.
pub fn answer_host_channel(listener: TcpListener, token: Option<String>, served: ServedHost) {
    let answer = format!(
        "{}\n",
        serde_json::to_string(&served).expect("a host serializes")
    );
    std::thread::Builder::new()
        .name("effprof-host-channel".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(HOST_CHANNEL_LIMIT));
                let mut line = String::new();
                let mut reader = BufReader::new(&stream);
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let admitted = token.as_deref().is_none_or(|t| line.trim_end() == t);
                let reply = match admitted {
                    true => answer.clone(),
                    false => "{\"error\":\"unauthorized\"}\n".to_owned(),
                };
                let _ = (&stream).write_all(reply.as_bytes());
            }
        })
        .expect("the host channel's thread starts");
}

/// The environment variable a client reads the server's token from (`effprof serve` prints
/// it), so that it stays out of command lines, shell history and snapshots.
pub const TOKEN_VAR: &str = "EFFPROF_REMOTE_TOKEN";

/// A remote server's WebSocket address, `ws://host:port`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RemoteHost(u16);

static HOSTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl RemoteHost {
    /// The host for `url`, which must be `ws://host:port` (or `wss://`); the same URL gives
    /// the same host.
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("ws://")
            .or_else(|| url.strip_prefix("wss://"))
            .ok_or_else(|| format!("`{url}` is not a WebSocket address: write ws://host:port"))?;
        let (host, port) = rest
            .trim_end_matches('/')
            .rsplit_once(':')
            .ok_or_else(|| format!("`{url}` has no port: write ws://host:port"))?;
        if host.is_empty() || port.parse::<u16>().is_err() {
            return Err(format!(
                "`{url}` needs a host and a port from 1 to 65535: write ws://host:port"
            ));
        }
        let url = url.trim_end_matches('/').to_owned();
        let mut hosts = HOSTS.lock().unwrap_or_else(|p| p.into_inner());
        let id = match hosts.iter().position(|h| *h == url) {
            Some(i) => i,
            None => {
                hosts.push(url);
                hosts.len() - 1
            }
        };
        u16::try_from(id)
            .map(RemoteHost)
            .map_err(|_| "too many remote hosts in one process".to_owned())
    }

    pub fn url(&self) -> String {
        HOSTS.lock().unwrap_or_else(|p| p.into_inner())[self.0 as usize].clone()
    }

    /// What the server says of its machine on its host channel (port + 1), within a few
    /// seconds, with the token from [`TOKEN_VAR`]. Asked once per process: opening the
    /// backend (its adapter) and the snapshot (its host) read the same answer.
    pub fn served(&self) -> Result<ServedHost, String> {
        static SERVED: Mutex<Vec<(RemoteHost, Result<ServedHost, String>)>> =
            Mutex::new(Vec::new());
        let mut served = SERVED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, answer)) = served.iter().find(|(h, _)| h == self) {
            return answer.clone();
        }
        let answer = self.served_with(&std::env::var(TOKEN_VAR).unwrap_or_default());
        served.push((*self, answer.clone()));
        answer
    }

    fn served_with(&self, token: &str) -> Result<ServedHost, String> {
        let url = self.url();
        let rest = url.trim_start_matches("wss://").trim_start_matches("ws://");
        let (host, port) = rest
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
            .ok_or_else(|| format!("{url} has no port"))?;
        let channel = (host, port.wrapping_add(1));
        let addr = channel
            .to_socket_addrs()
            .map_err(|e| format!("{host}: {e}"))?
            .next()
            .ok_or_else(|| format!("{host} has no address"))?;
        let no_answer = |e: std::io::Error| {
            format!(
                "its host channel ({host}:{}) did not answer: {e}",
                channel.1
            )
        };
        let stream = TcpStream::connect_timeout(&addr, HOST_CHANNEL_LIMIT).map_err(no_answer)?;
        stream
            .set_read_timeout(Some(HOST_CHANNEL_LIMIT))
            .map_err(no_answer)?;
        (&stream)
            .write_all(format!("{token}\n").as_bytes())
            .map_err(no_answer)?;
        let mut line = String::new();
        BufReader::new(&stream)
            .read_line(&mut line)
            .map_err(no_answer)?;
        let served: ServedHost = serde_json::from_str(&line).map_err(|_| {
            format!(
                "its host channel answered no {HOST_SCHEMA}: {}",
                line.trim()
            )
        })?;
        if served.schema != HOST_SCHEMA {
            return Err(format!(
                "its host channel speaks {}, not {HOST_SCHEMA}",
                served.schema
            ));
        }
        Ok(served)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_intern_and_bad_ones_say_what_to_write() {
        let a = RemoteHost::parse("ws://127.0.0.1:3000").unwrap();
        assert_eq!(RemoteHost::parse("ws://127.0.0.1:3000/").unwrap(), a);
        assert_eq!(a.url(), "ws://127.0.0.1:3000");
        assert_ne!(RemoteHost::parse("ws://gpu-box:3000").unwrap(), a);
        for bad in [
            "http://h:1",
            "ws://h",
            "ws://:3000",
            "ws://h:99999",
            "ws://h:x",
        ] {
            let err = RemoteHost::parse(bad).unwrap_err();
            assert!(err.contains("ws://host:port"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_host_channel_answers_with_the_token_only() {
        // The channel is the WebSocket's port + 1: find a free pair on loopback.
        let (ws_port, channel) = (0..50)
            .find_map(|_| {
                let ws = TcpListener::bind("127.0.0.1:0").ok()?;
                let port = ws.local_addr().ok()?.port();
                let channel = TcpListener::bind(("127.0.0.1", port.checked_add(1)?)).ok()?;
                Some((port, channel))
            })
            .expect("a free pair of ports");
        let served = ServedHost {
            schema: HOST_SCHEMA.into(),
            host: Host::detect(),
            backend: "flex".into(),
            adapter: "a CPU".into(),
        };
        answer_host_channel(channel, Some("s3cret".into()), served.clone());
        let remote = RemoteHost::parse(&format!("ws://127.0.0.1:{ws_port}")).unwrap();
        assert_eq!(remote.served_with("s3cret").unwrap(), served);
        let refused = remote.served_with("guess").unwrap_err();
        assert!(refused.contains("unauthorized"), "{refused}");
        // Nothing listening: an error within the limit, not a hang.
        let (tx, rx) = std::sync::mpsc::channel();
        let lonely = RemoteHost::parse("ws://127.0.0.1:9").unwrap();
        std::thread::spawn(move || {
            let _ = tx.send(lonely.served_with("").map(|_| ()));
        });
        let outcome = rx.recv_timeout(2 * HOST_CHANNEL_LIMIT).expect("no hang");
        assert!(outcome.unwrap_err().contains("did not answer"));
    }
}
