//! Test apps, packed as ZIPs in memory. Built `FROM scratch` around Debian's static busybox,
//! since there is no registry to pull from.

use std::io::Write;

use zip::{ZipWriter, write::SimpleFileOptions};

const BUSYBOX: &str = "/bin/busybox";

/// A ZIP from `(path, unix mode, contents)` entries.
pub fn zip_of(entries: &[(&str, u32, Vec<u8>)]) -> Vec<u8> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, mode, data) in entries {
        let options = SimpleFileOptions::default().unix_permissions(*mode);
        zip.start_file(*path, options).expect("zip entry");
        zip.write_all(data).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}

fn busybox() -> Vec<u8> {
    std::fs::read(BUSYBOX)
        .expect("a static busybox at /bin/busybox (scripts/test-env.sh installs it)")
}

/// An HTTP app on port 8080 whose pages say `marker`. Its entrypoint is a script that only runs
/// if the ZIP's executable bit survives intake and build.
pub fn web_app(marker: &str) -> Vec<u8> {
    let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nCOPY start.sh /start.sh\nEXPOSE 8080\nENTRYPOINT [\"/start.sh\"]\n";
    let start = "#!/bin/busybox sh\nexec /bin/busybox httpd -f -p 8080 -h /www\n";
    zip_of(&[
        ("Dockerfile", 0o644, dockerfile.into()),
        ("start.sh", 0o755, start.into()),
        ("busybox", 0o755, busybox()),
        (
            "www/index.html",
            0o644,
            format!("<h1>{marker}</h1>\n").into_bytes(),
        ),
        (
            "www/sub/path/index.html",
            0o644,
            format!("deep {marker}\n").into_bytes(),
        ),
    ])
}

/// Builds fine, then exits at once: a version that never becomes ready.
pub fn crashing_app() -> Vec<u8> {
    let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nEXPOSE 8080\nENTRYPOINT [\"/bin/busybox\", \"sh\", \"-c\", \"echo crashing on purpose; exit 3\"]\n";
    zip_of(&[
        ("Dockerfile", 0o644, dockerfile.into()),
        ("busybox", 0o755, busybox()),
    ])
}

/// A Dockerfile whose build fails.
pub fn unbuildable_app() -> Vec<u8> {
    let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo broken build; exit 7\"]\n";
    zip_of(&[
        ("Dockerfile", 0o644, dockerfile.into()),
        ("busybox", 0o755, busybox()),
    ])
}

/// A build that takes `seconds`, to interrupt it.
pub fn slow_build_app(seconds: u32) -> Vec<u8> {
    let dockerfile = format!(
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sleep\", \"{seconds}\"]\nEXPOSE 8080\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\"]\n"
    );
    zip_of(&[
        ("Dockerfile", 0o644, dockerfile.into_bytes()),
        ("busybox", 0o755, busybox()),
    ])
}

/// A two-service stack: `web` (routed, port 8080) answers `/cgi-bin/boots` by fetching
/// `http://backend:8080/boots` by service name; `backend` appends a line to `/data/boots` (a named
/// volume) each time it starts, and is healthy once it serves. `web` waits for `service_healthy`.
/// `backend_start` replaces the backend's start script (to break it on purpose).
pub fn two_service_stack(marker: &str, backend_start: Option<&str>) -> Vec<u8> {
    let compose = format!(
        r#"name: ignored-by-milkcrate
services:
  web:
    build: .
    command: ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
    expose: ["8080"]
    environment:
      MARKER: "{marker}"
    depends_on:
      backend:
        condition: service_healthy
  backend:
    build:
      context: .
      dockerfile: Dockerfile
    command: ["/backend.sh"]
    volumes:
      - data:/data
    healthcheck:
      test: ["CMD", "/bin/busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/boots"]
      interval: 1s
      timeout: 2s
      retries: 30
volumes:
  data: {{}}
"#
    );
    // `/bin/sh` too, so an operator's `docker run --health-cmd` (shell form) works by hand.
    let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/sh\nCOPY www /www\nCOPY backend.sh /backend.sh\n";
    let cgi = "#!/bin/busybox sh\necho 'Content-Type: text/plain'\necho ''\necho \"$MARKER\"\n/bin/busybox wget -q -O - http://backend:8080/boots\n";
    let backend = backend_start.unwrap_or(
        "#!/bin/busybox sh\necho boot >> /data/boots\nexec /bin/busybox httpd -f -p 8080 -h /data\n",
    );
    zip_of(&[
        ("compose.yaml", 0o644, compose.into_bytes()),
        ("Dockerfile", 0o644, dockerfile.into()),
        ("busybox", 0o755, busybox()),
        ("backend.sh", 0o755, backend.as_bytes().to_vec()),
        ("www/cgi-bin/boots", 0o755, cgi.into()),
        ("www/index.html", 0o644, format!("{marker}\n").into_bytes()),
    ])
}

/// A compose ZIP holding just `compose` (for policy refusals: nothing is built).
pub fn compose_only(compose: &str) -> Vec<u8> {
    zip_of(&[("compose.yaml", 0o644, compose.as_bytes().to_vec())])
}

/// A stateless two-service stack: `web` (routed, port 8080) says `marker`; `api` runs beside it
/// and `web` waits for it to start. Nothing writes to a volume, so redeploys overlap.
pub fn stateless_stack(marker: &str) -> Vec<u8> {
    let compose = r#"services:
  web:
    build: .
    command: ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
    expose: ["8080"]
    depends_on: [api]
  api:
    build: .
    command: ["/bin/busybox", "httpd", "-f", "-p", "9000", "-h", "/www"]
"#;
    let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\n";
    zip_of(&[
        ("compose.yaml", 0o644, compose.into()),
        ("Dockerfile", 0o644, dockerfile.into()),
        ("busybox", 0o755, busybox()),
        (
            "www/index.html",
            0o644,
            format!("<h1>{marker}</h1>\n").into_bytes(),
        ),
    ])
}

/// An app whose `/cgi-bin/sw` answers with `Service-Worker-Allowed: /`, claiming a service
/// worker scope beyond its route.
pub fn scope_claiming_app() -> Vec<u8> {
    let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nEXPOSE 8080\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n";
    let cgi = "#!/bin/busybox sh\necho 'Content-Type: text/plain'\necho 'Service-Worker-Allowed: /'\necho ''\necho claimed\n";
    zip_of(&[
        ("Dockerfile", 0o644, dockerfile.into()),
        ("busybox", 0o755, busybox()),
        ("www/index.html", 0o644, b"<h1>scope</h1>\n".to_vec()),
        ("www/cgi-bin/sw", 0o755, cgi.into()),
    ])
}

/// A hostile app serving `index_html` (a test-generated page, inline script and all) and, at
/// `/cgi-bin/sw`, a valid service worker script that claims `Service-Worker-Allowed: /`.
pub fn hostile_app(index_html: &str) -> Vec<u8> {
    let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nEXPOSE 8080\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n";
    let worker = "#!/bin/busybox sh\necho 'Content-Type: application/javascript'\necho 'Service-Worker-Allowed: /'\necho 'Cache-Control: no-store'\necho ''\necho \"self.addEventListener('fetch', e => e.respondWith(new Response('hijacked by a hostile app')));\"\n";
    zip_of(&[
        ("Dockerfile", 0o644, dockerfile.into()),
        ("busybox", 0o755, busybox()),
        ("www/index.html", 0o644, index_html.as_bytes().to_vec()),
        ("www/cgi-bin/sw", 0o755, worker.into()),
    ])
}

/// An HTTP app (port 8080, pages say `marker`) that prints `ready <marker>` on stdout, one
/// `tick <n>` line every 200 ms on stdout, and `oops` once on stderr.
pub fn chatty_app(marker: &str) -> Vec<u8> {
    let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nCOPY start.sh /start.sh\nEXPOSE 8080\nENTRYPOINT [\"/start.sh\"]\n";
    let start = format!(
        "#!/bin/busybox sh\necho 'ready {marker}'\necho oops >&2\n(n=0; while true; do n=$((n+1)); echo \"tick $n\"; /bin/busybox sleep 0.2; done) &\nexec /bin/busybox httpd -f -p 8080 -h /www\n"
    );
    zip_of(&[
        ("Dockerfile", 0o644, dockerfile.into()),
        ("start.sh", 0o755, start.into_bytes()),
        ("busybox", 0o755, busybox()),
        (
            "www/index.html",
            0o644,
            format!("<h1>{marker}</h1>\n").into_bytes(),
        ),
    ])
}

/// A Dockerfile whose build step holds `mib` MiB in memory for a moment, then succeeds.
pub fn greedy_build_app(mib: u32) -> Vec<u8> {
    let dockerfile = format!(
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"x=$(/bin/busybox head -c {} /dev/zero | /bin/busybox tr '\\\\0' a); echo ${{#x}}\"]\nEXPOSE 8080\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\"]\n",
        u64::from(mib) * 1024 * 1024
    );
    zip_of(&[
        ("Dockerfile", 0o644, dockerfile.into_bytes()),
        ("busybox", 0o755, busybox()),
    ])
}

/// An HTTP app on port 8080 whose `/cgi-bin/env` prints the `GREETING` and `API_TOKEN` it was
/// given and whose `/cgi-bin/fail` answers 500 (a health path that never passes).
pub fn env_app(marker: &str) -> Vec<u8> {
    let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nEXPOSE 8080\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n";
    let env = "#!/bin/busybox sh\necho 'Content-Type: text/plain'\necho ''\necho \"greeting=$GREETING\"\necho \"token=$API_TOKEN\"\n";
    let fail = "#!/bin/busybox sh\necho 'Status: 500 Internal Server Error'\necho 'Content-Type: text/plain'\necho ''\necho failing\n";
    zip_of(&[
        ("Dockerfile", 0o644, dockerfile.into()),
        ("busybox", 0o755, busybox()),
        ("www/cgi-bin/env", 0o755, env.into()),
        ("www/cgi-bin/fail", 0o755, fail.into()),
        ("www/index.html", 0o644, format!("{marker}\n").into_bytes()),
    ])
}
