//! Server-Sent Events read from a byte stream: the `event:` name and the `data:` of each event.
//! Comments (keep-alives) and ids are skipped; what the client needs is small.

use bytes::Bytes;
use futures_util::{Stream, StreamExt, stream::BoxStream};

/// One event.
#[derive(Debug, PartialEq, Eq)]
pub struct SseEvent {
    pub name: String,
    pub data: String,
}

/// The events of `body`, as they complete.
pub fn events(
    body: BoxStream<'static, reqwest::Result<Bytes>>,
) -> impl Stream<Item = anyhow::Result<SseEvent>> {
    futures_util::stream::unfold(
        (body, Vec::<u8>::new(), Parser::default()),
        |(mut body, mut buffer, mut parser)| async move {
            loop {
                if let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buffer.drain(..=end).collect();
                    let line = String::from_utf8_lossy(&line);
                    if let Some(event) = parser.line(line.trim_end_matches(['\n', '\r'])) {
                        return Some((Ok(event), (body, buffer, parser)));
                    }
                    continue;
                }
                match body.next().await {
                    Some(Ok(chunk)) => buffer.extend_from_slice(&chunk),
                    Some(Err(e)) => {
                        return Some((
                            Err(anyhow::anyhow!("the event stream broke: {e}")),
                            (body, buffer, parser),
                        ));
                    }
                    None => return None,
                }
            }
        },
    )
}

#[derive(Default)]
struct Parser {
    name: String,
    data: Vec<String>,
}

impl Parser {
    /// Takes one line; a blank line ends an event.
    fn line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            if self.data.is_empty() {
                self.name.clear();
                return None;
            }
            return Some(SseEvent {
                name: std::mem::take(&mut self.name),
                data: std::mem::take(&mut self.data).join("\n"),
            });
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.name = value.to_string(),
            "data" => self.data.push(value.to_string()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_split_across_chunks_are_put_together() {
        let chunks = [
            ": keep-alive\n\nid: 3\nevent: lo",
            "g\ndata: {\"a\":1}\n\r\nevent: app\ndata: x\ndata: y\n",
            "\n",
        ];
        let body = futures_util::stream::iter(
            chunks.map(|c| Ok::<_, reqwest::Error>(Bytes::from(c.to_string()))),
        )
        .boxed();
        let got: Vec<SseEvent> = events(body).map(|e| e.unwrap()).collect().await;
        assert_eq!(
            got,
            vec![
                SseEvent {
                    name: "log".into(),
                    data: "{\"a\":1}".into()
                },
                SseEvent {
                    name: "app".into(),
                    data: "x\ny".into()
                },
            ]
        );
    }
}
