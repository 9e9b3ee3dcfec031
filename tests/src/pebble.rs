//! Pebble, Let's Encrypt's test ACME server (Debian's `pebble`), for the HTTPS tests: its own
//! TLS certificate made with openssl for the address the proxy reaches it at, every challenge
//! taken as valid (`PEBBLE_VA_ALWAYS_VALID`: no DNS points here), no random delays or nonce
//! rejections (so a run is not slowed or made flaky on purpose), killed on drop.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use crate::{Server, ServerOptions, docker, eventually, free_port};

pub struct Pebble {
    child: Child,
    dir: tempfile::TempDir,
    /// The ACME directory URL, as the proxy reaches it.
    pub directory: String,
    management: u16,
}

impl Pebble {
    /// Starts Pebble on all addresses; `address` is the one the proxy will use (the gateway of
    /// its network), which Pebble's certificate covers.
    pub async fn start(address: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "2"])
            .args(["-subj", "/CN=pebble"])
            .arg("-addext")
            .arg(format!(
                "subjectAltName=IP:{address},IP:127.0.0.1,DNS:localhost"
            ))
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl runs");
        assert!(made.status.success(), "openssl: {made:?}");
        let (port, management) = (free_port(), free_port());
        let config = serde_json::json!({ "pebble": {
            "listenAddress": format!("0.0.0.0:{port}"),
            "managementListenAddress": format!("0.0.0.0:{management}"),
            "certificate": cert,
            "privateKey": key,
            "httpPort": 5002,
            "tlsPort": 5001,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false,
        }});
        let config_path = dir.path().join("pebble.json");
        std::fs::write(&config_path, config.to_string()).expect("pebble config");
        let log = std::fs::File::create(dir.path().join("pebble.log")).expect("pebble log");
        let child = Command::new("pebble")
            .arg("-config")
            .arg(&config_path)
            .env("PEBBLE_VA_ALWAYS_VALID", "1")
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .stdout(Stdio::from(log.try_clone().expect("log handle")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("pebble starts (apt-get install pebble; scripts/test-env.sh does)");
        let pebble = Self {
            child,
            directory: format!("https://{address}:{port}/dir"),
            dir,
            management,
        };
        eventually(Duration::from_secs(20), "Pebble to answer", || async {
            pebble.roots().then_some(())
        })
        .await;
        pebble
    }

    /// A Pebble and a Milkcrate with HTTPS pointed at it (`options` otherwise as given), and the
    /// HTTPS port (on 127.0.0.1). The proxy reaches Pebble on the host at the gateway of its
    /// network, which is made first so Pebble's certificate can name that address.
    pub async fn with_server(options: ServerOptions) -> (Pebble, Server, u16) {
        let instance = options
            .instance
            .clone()
            .unwrap_or_else(|| format!("t{:08x}", rand::random::<u32>()));
        let network = format!("{instance}-net");
        docker::docker(&[
            "network",
            "create",
            "--label",
            &format!("milkcrate.instance={instance}"),
            &network,
        ]);
        let gateway = docker::inspect(&network, "{{(index .IPAM.Config 0).Gateway}}");
        let pebble = Pebble::start(&gateway).await;
        let https_port = free_port();
        let mut extra_env = pebble.server_env(https_port);
        extra_env.extend(options.extra_env.iter().cloned());
        let server = Server::start(ServerOptions {
            instance: Some(instance),
            extra_env,
            ..options
        })
        .await;
        (pebble, server, https_port)
    }

    /// The settings that point a Milkcrate at this Pebble, with HTTPS on `https_port`.
    pub fn server_env(&self, https_port: u16) -> Vec<(String, String)> {
        [
            ("MILKCRATE_HTTPS_PORT", https_port.to_string()),
            ("MILKCRATE_HTTPS_BIND", "127.0.0.1".to_string()),
            ("MILKCRATE_ACME_EMAIL", "admin@milkcrate.test".to_string()),
            ("MILKCRATE_ACME_CA_URL", self.directory.clone()),
            (
                "MILKCRATE_ACME_CA_CERTS",
                self.tls_certificate().display().to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Pebble's own TLS certificate: what the proxy must trust to reach it.
    pub fn tls_certificate(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// Writes the root Pebble issues under (from its management endpoint) to `roots.pem`.
    fn roots(&self) -> bool {
        let output = Command::new("curl")
            .args(["-sf", "--max-time", "5", "--cacert"])
            .arg(self.tls_certificate())
            .arg(format!("https://127.0.0.1:{}/roots/0", self.management))
            .arg("-o")
            .arg(self.root())
            .output()
            .expect("curl runs");
        output.status.success()
    }

    /// The root certificate the served chains must verify against.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("roots.pem")
    }

    /// How many certificates Pebble has issued so far (from its log).
    pub fn issued(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("pebble.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("Issued certificate serial"))
            .count()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pebble.log")).unwrap_or_default()
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("---- pebble log ----\n{}", self.log());
        }
    }
}
