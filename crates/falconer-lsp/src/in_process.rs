//! A server in this process, over an in-memory pipe: the connection the
//! protocol tests and the benchmark drive (and any embedder that wants
//! framed JSON messages rather than stdio).

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, WriteHalf};
use tokio::sync::mpsc;

/// The client's end of an in-process server.
pub struct Connection {
    writer: WriteHalf<DuplexStream>,
    /// Every message from the server, in order.
    pub incoming: mpsc::UnboundedReceiver<Value>,
}

/// Starts a server (on the current tokio runtime) and connects to it.
pub fn connect() -> Connection {
    let (client_end, server_end) = tokio::io::duplex(1 << 22);
    let (sr, sw) = tokio::io::split(server_end);
    tokio::spawn(crate::serve(sr, sw));
    let (cr, cw) = tokio::io::split(client_end);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut r = BufReader::new(cr);
        while let Some(v) = read_message(&mut r).await {
            if tx.send(v).is_err() {
                return;
            }
        }
    });
    Connection {
        writer: cw,
        incoming: rx,
    }
}

/// One framed message (`Content-Length` header, JSON body); `None` at the
/// end of the stream or on a malformed frame.
async fn read_message<R: tokio::io::AsyncBufRead + Unpin>(r: &mut R) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0u8; len?];
    r.read_exact(&mut body).await.ok()?;
    serde_json::from_slice(&body).ok()
}

impl Connection {
    /// Sends one message, framed.
    pub async fn send(&mut self, v: &Value) {
        let body = serde_json::to_string(v).expect("a JSON value serialises");
        let frame = format!("Content-Length: {}\r\n\r\n{}", body.len(), body);
        self.writer
            .write_all(frame.as_bytes())
            .await
            .expect("the in-process server reads until exit");
        self.writer
            .flush()
            .await
            .expect("the in-process server reads until exit");
    }
}
