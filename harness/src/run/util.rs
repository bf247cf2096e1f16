//! Byte helpers the protocols share.

/// Splits `body` into chunks of `sizes`, the last size repeating (HTTP/2 DATA frames and header
/// block pieces are split the same way).
pub(crate) fn split(body: &[u8], sizes: &[usize]) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    let mut rest = body;
    let mut i = 0;
    while !rest.is_empty() {
        let size = sizes[i.min(sizes.len() - 1)].max(1).min(rest.len());
        chunks.push(rest[..size].to_vec());
        rest = &rest[size..];
        i += 1;
    }
    chunks
}

/// Splits `block` into `parts` pieces (the first may be empty only when the block is).
pub(crate) fn split_block(block: &[u8], parts: usize) -> Vec<Vec<u8>> {
    let size = block.len().div_ceil(parts).max(1);
    let mut out: Vec<Vec<u8>> = block.chunks(size).map(<[u8]>::to_vec).collect();
    out.resize(parts, vec![]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes_split_anywhere_and_the_last_size_repeats() {
        let body = "あい".as_bytes();
        assert_eq!(
            split(body, &[2, 1]),
            vec![body[..2].to_vec(), body[2..3].to_vec(), body[3..4].to_vec(), body[4..5].to_vec(), body[5..6].to_vec()]
        );
        assert_eq!(split(b"abc", &[10]), vec![b"abc".to_vec()]);
    }
}
