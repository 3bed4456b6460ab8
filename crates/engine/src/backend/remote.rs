//! A backend on another machine: `effprof serve` there, `--backend remote:ws://host:port` here.
//! The server's address is interned so that [`super::Backend`] stays a small `Copy` value.

use std::sync::Mutex;

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
}
