//! Reading an HTTP answer's body with a ceiling: a forge, Fulcio or Rekor that answers with
//! an endless body stops being read at the limit instead of filling memory.

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// The transfer failed.
    Transfer(reqwest::Error),
    /// The body is longer than the limit.
    TooLarge(usize),
}

/// The body of `response`, at most `limit` bytes.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transfer)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
