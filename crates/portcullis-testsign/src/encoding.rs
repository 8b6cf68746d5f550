//! Small encoders shared by the signers: PEM armour and the big-endian TLS integers of
//! RFC 6962 structures. Written by hand because each is a few lines over fixed layouts.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// PEM armour with 64-column lines.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Appends `bytes` prefixed by its length in `width` big-endian bytes (TLS `opaque<..>`).
pub(crate) fn tls_vec(out: &mut Vec<u8>, width: usize, bytes: &[u8]) {
    let len = bytes.len().to_be_bytes();
    out.extend_from_slice(&len[len.len() - width..]);
    out.extend_from_slice(bytes);
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_vectors_carry_big_endian_lengths() {
        let mut out = Vec::new();
        tls_vec(&mut out, 3, b"ab");
        assert_eq!(out, [0, 0, 2, b'a', b'b']);
    }

    #[test]
    fn pem_wraps_at_64_columns() {
        let text = pem("X", &[0u8; 60]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN X-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last(), Some(&"-----END X-----"));
    }
}
