use super::*;

fn frames() -> Vec<Frame> {
    vec![
        Frame::new(kind::DATA, flag::END_STREAM, 1, Payload::Data(data::Data { data: b"hello".to_vec(), padding: None })),
        Frame::new(kind::DATA, flag::PADDED, 3, Payload::Data(data::Data { data: b"x".to_vec(), padding: Some(Padding::zeros(4)) })),
        Frame::new(
            kind::HEADERS,
            flag::END_HEADERS | flag::PRIORITY | flag::PADDED,
            1,
            Payload::Headers(headers::Headers {
                padding: Some(Padding::zeros(2)),
                priority: Some(PriorityFields { exclusive: true, dependency: 3, weight: 15 }),
                fragment: vec![0x82, 0x86],
            }),
        ),
        Frame::new(
            kind::PRIORITY,
            0,
            5,
            Payload::Priority(priority::Priority { fields: PriorityFields { exclusive: false, dependency: 1, weight: 255 } }),
        ),
        Frame::new(kind::RST_STREAM, 0, 1, Payload::RstStream(rst_stream::RstStream { code: 8 })),
        Frame::new(kind::SETTINGS, 0, 0, Payload::Settings(settings::Settings { params: vec![(4, 65535), (3, 100)], trailing: vec![] })),
        Frame::new(kind::SETTINGS, flag::ACK, 0, Payload::Settings(settings::Settings::default())),
        Frame::new(
            kind::PUSH_PROMISE,
            flag::END_HEADERS,
            1,
            Payload::PushPromise(push_promise::PushPromise { padding: None, reserved: false, promised_id: 2, fragment: vec![0x82] }),
        ),
        Frame::new(kind::PING, flag::ACK, 0, Payload::Ping(ping::Ping { data: b"12345678".to_vec() })),
        Frame::new(kind::GOAWAY, 0, 0, Payload::Goaway(goaway::Goaway { last_stream_id: 7, code: 1, debug: b"bye".to_vec() })),
        Frame::new(kind::WINDOW_UPDATE, 0, 0, Payload::WindowUpdate(window_update::WindowUpdate { increment: 1 << 20 })),
        Frame::new(kind::CONTINUATION, flag::END_HEADERS, 1, Payload::Continuation(continuation::Continuation { fragment: vec![0x84] })),
        Frame::new(0xfe, 0xff, 9, Payload::Unknown(unknown::Unknown { payload: b"???".to_vec() })),
    ]
}

#[test]
fn every_frame_type_round_trips() {
    for f in frames() {
        let bytes = f.encode();
        let (back, used) = decode_frame(&bytes, DEFAULT_MAX_FRAME_SIZE, 0).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(back, f, "{}", describe(&f));
    }
}

#[test]
fn split_at_every_byte_needs_more_until_whole() {
    let all: Vec<u8> = frames().iter().flat_map(|f| f.encode()).collect();
    let mut pos = 0;
    let mut count = 0;
    while pos < all.len() {
        let rest = &all[pos..];
        let (_, used) = decode_frame(rest, DEFAULT_MAX_FRAME_SIZE, pos).unwrap().unwrap();
        for cut in 0..used {
            assert_eq!(decode_frame(&rest[..cut], DEFAULT_MAX_FRAME_SIZE, pos).unwrap(), None, "cut {cut}");
        }
        pos += used;
        count += 1;
    }
    assert_eq!(count, frames().len());
}

#[test]
fn header_fields_exactly() {
    let f = Frame {
        header: FrameHeader { length: 3, kind: 0x42, flags: 0xa5, reserved: true, stream_id: 0x7fff_ffff },
        payload: Payload::Unknown(unknown::Unknown { payload: b"abc".to_vec() }),
    };
    assert_eq!(f.encode(), b"\x00\x00\x03\x42\xa5\xff\xff\xff\xffabc");
    let h = FrameHeader::parse(f.encode()[..9].try_into().unwrap());
    assert!(h.reserved);
    assert_eq!(h.stream_id, 0x7fff_ffff);
    assert_eq!(h.to_string(), "UNKNOWN(0x42) stream=2147483647 flags=0xa5 len=3 R=1");
}

#[test]
fn malformed_frames_can_be_encoded() {
    // A length that disagrees with the payload.
    let mut f = Frame::new(kind::PING, 0, 0, Payload::Ping(ping::Ping { data: vec![0; 8] }));
    f.header.length = 6;
    assert_eq!(&f.encode()[..3], &[0, 0, 6]);
    assert_eq!(f.encode().len(), 17);
    // Padding longer than the payload.
    let d = Frame::new(
        kind::DATA,
        flag::PADDED,
        1,
        Payload::Data(data::Data { data: b"ab".to_vec(), padding: Some(Padding { len: 10, bytes: vec![] }) }),
    );
    assert_eq!(d.encode(), b"\x00\x00\x03\x00\x08\x00\x00\x00\x01\x0aab");
    let e = decode_frame(&d.encode(), DEFAULT_MAX_FRAME_SIZE, 100).unwrap_err();
    assert_eq!(e.offset, 100);
    assert!(e.message.contains("Pad Length 10"), "{e}");
}

#[test]
fn invalid_input_reports_offset_and_header() {
    let cases: Vec<(&[u8], &str)> = vec![
        (b"\x00\x00\x07\x06\x00\x00\x00\x00\x001234567", "PING payload must be 8"),
        (b"\x00\x00\x05\x04\x00\x00\x00\x00\x0012345", "multiple of 6"),
        (b"\x00\x00\x03\x03\x00\x00\x00\x00\x01123", "RST_STREAM payload must be 4"),
        (b"\x00\x00\x04\x07\x00\x00\x00\x00\x001234", "at least 8"),
        (b"\x00\x00\x03\x01\x20\x00\x00\x00\x01123", "PRIORITY flag"),
        (b"\x00\x00\x00\x00\x08\x00\x00\x00\x01", "without a Pad Length"),
        (b"\x00\x00\x02\x05\x00\x00\x00\x00\x0112", "promised stream id"),
        (b"\x00\x40\x01\x00\x00\x00\x00\x00\x01", "exceeds SETTINGS_MAX_FRAME_SIZE"),
    ];
    for (bytes, msg) in cases {
        let e = decode_frame(bytes, DEFAULT_MAX_FRAME_SIZE, 7).unwrap_err();
        assert_eq!(e.offset, 7);
        assert!(e.to_string().contains(msg), "{e}");
        assert_eq!(e.header, FrameHeader::parse(bytes[..9].try_into().unwrap()));
    }
}

#[test]
fn decoding_arbitrary_bytes_never_panics() {
    // A deterministic pseudo-random sweep over headers of every type with short payloads.
    let mut x: u32 = 0x1234_5678;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let len = (x % 24) as usize;
        let mut b = vec![0, 0, len as u8, (x >> 8) as u8 % 12, (x >> 16) as u8, (x >> 3) as u8, 0, 0, 1];
        b.extend((0..len).map(|i| (x >> (i % 24)) as u8));
        let _ = decode_frame(&b, DEFAULT_MAX_FRAME_SIZE, 0);
        let _ = decode_frame(&b[..b.len() / 2], DEFAULT_MAX_FRAME_SIZE, 0);
    }
}

#[test]
fn names() {
    assert_eq!(flags_name(kind::HEADERS, 0x25), "END_STREAM|END_HEADERS|PRIORITY");
    assert_eq!(flags_name(kind::DATA, 0x41), "END_STREAM|0x40");
    assert_eq!(kind_by_name("window_update"), Some(8));
    assert_eq!(kind_by_name("0xff"), Some(0xff));
    assert_eq!(error_by_name("FLOW_CONTROL_ERROR"), Some(3));
    assert_eq!(error_name(0x99), "0x99");
    assert_eq!(settings::by_name("SETTINGS_INITIAL_WINDOW_SIZE"), Some(4));
}
