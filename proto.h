/*
 * proto.h: every wire format and limit of the softether protocol.
 * Login messages travel inside TLS; Ethernet frames then travel in sealed
 * data-channel records on the same byte stream. proto.c holds the codecs.
 */
#ifndef SOFTETHER_PROTO_H
#define SOFTETHER_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* ---- Versions and capabilities ------------------------------------- */
#define PROTO_MAGIC            0x53455448u /* "SETH" */
#define PROTO_VERSION          1u
#define PROTO_CAP_AESGCM       0x00000001u /* peer's CPU seals AES-256-GCM fast */
#define PROTO_CAP_CHACHA       0x00000002u /* peer speaks ChaCha20-Poly1305 */
#define PROTO_CAP_OFFLOAD      0x00000004u /* peer takes OFFLOAD frame items */
#define PROTO_CAP_TICKET       0x00000008u /* card keeps re-login tickets;
                                              hub issues them */
#define PROTO_CAPS_KNOWN       (PROTO_CAP_AESGCM | PROTO_CAP_CHACHA | \
                                PROTO_CAP_OFFLOAD | PROTO_CAP_TICKET)

/* ---- Login messages (inside TLS) ----------------------------------- */
/* Each message: type u8, body length u16 (big endian), body. */
#define PROTO_MSG_HDR          3u
#define PROTO_MSG_MAX_BODY     4096u
enum proto_msg_type {
	PROTO_MSG_HELLO   = 1, /* client: magic u32, version u16, caps u32, hub str8 */
	PROTO_MSG_AUTH    = 2, /* client: method u8, user str8, secret str16 */
	PROTO_MSG_WELCOME = 3, /* hub: version u16, caps u32, cipher u8, session u64,
	                          max_frame u32, keepalive_ms u32, token[32],
	                          resumed u8, rx_last u64, then extensions:
	                          type u8, length u16, value (see
	                          PROTO_WELCOME_EXT_*) */
	PROTO_MSG_ERROR   = 4, /* hub: code u16, text str16 */
	PROTO_MSG_RESUME  = 5, /* client, instead of AUTH: session u64,
	                          token[32], rx_last u64 */
	PROTO_MSG_ADMIN   = 6, /* administration, after an admin login:
	                          flags u8, text str16 (a command line from
	                          the client; a piece of the answer from the
	                          hub) */
};
/* HELLO naming this hub asks for administration, not a virtual hub
 * (hub names cannot start with '@'); AUTH then carries the admin
 * password with PROTO_AUTH_ADMIN. */
#define PROTO_ADMIN_HUB        "@admin"
#define PROTO_AUTH_ADMIN       2u
#define PROTO_ADMIN_JSON       0x1u  /* client: answer in JSON */
#define PROTO_ADMIN_OK         0x1u  /* hub: the command was done */
#define PROTO_ADMIN_MORE       0x2u  /* hub: more of this answer follows */
#define PROTO_ADMIN_TEXT       (PROTO_MSG_MAX_BODY - 3u)
#define PROTO_TOKEN_LEN        32u
#define PROTO_AUTH_PASSWORD    1u
#define PROTO_AUTH_TICKET      3u    /* the secret is a re-login ticket */
#define PROTO_AUTH_KEY         4u    /* the secret is an Ed25519 signature
                                        of the TLS session's binding */
#define PROTO_TICKET_MAX       256u  /* a re-login ticket's bytes */
/* WELCOME's extensions; one not understood ends them, ignored. */
#define PROTO_WELCOME_EXT_TICKET 1u  /* a re-login ticket (to a card with
                                        PROTO_CAP_TICKET) */
#define PROTO_MAX_NAME         64u   /* hub and user names */
#define PROTO_MAX_VIA          16u   /* a transport's name, [a-z0-9-] */
#define PROTO_MAX_SECRET       1024u /* password bytes */
#define PROTO_MAX_ERROR_TEXT   512u

enum proto_error_code {
	PROTO_ERR_VERSION     = 1, /* unsupported protocol version or bad magic */
	PROTO_ERR_NO_HUB      = 2, /* no such hub */
	PROTO_ERR_AUTH        = 3, /* wrong user or password (same for both) */
	PROTO_ERR_THROTTLED   = 4, /* too many failed logins from this address */
	PROTO_ERR_PROTOCOL    = 5, /* malformed or unexpected message */
	PROTO_ERR_FULL        = 6, /* hub refuses more sessions */
	PROTO_ERR_SHUTDOWN    = 7, /* hub is stopping */
	PROTO_ERR_CIPHER      = 8, /* no common data-channel cipher */
	PROTO_ERR_RESUME      = 9, /* session unknown, expired or not resumable:
	                              log in afresh */
	PROTO_ERR_TICKET      = 10, /* re-login ticket refused: log in with the
	                               password */
};

/* ---- Data-channel records (on the raw stream, after WELCOME) -------- */
/*
 * record = length u32 | seq u64 | ciphertext | tag[16]
 * length counts ciphertext + tag; the 12 header bytes are the AEAD's
 * additional data; the nonce is 4 zero bytes then seq (big endian).
 */
#define PROTO_REC_HDR          12u
#define PROTO_REC_TAG          16u
#define PROTO_REC_MAX_PLAIN    (128u * 1024u)
#define PROTO_REC_MAX_SEALED   (PROTO_REC_MAX_PLAIN + PROTO_REC_TAG)
#define PROTO_REC_BATCH_TARGET (60u * 1024u) /* flush a batch at this size */
#define PROTO_REKEY_RECORDS    (1ull << 20)  /* ratchet the key this often */

/* Inside a record's plaintext: items of type u8, length u24, payload. */
#define PROTO_ITEM_HDR         4u
enum proto_item_type {
	PROTO_ITEM_FRAME     = 1, /* one Ethernet frame (no FCS) */
	PROTO_ITEM_KEEPALIVE = 2, /* padding only; proves the peer is alive */
	PROTO_ITEM_GOODBYE   = 3, /* reason u16, text (rest) */
	PROTO_ITEM_ACK       = 4, /* u64: last frame seq received in order */
	PROTO_ITEM_SEQ       = 5, /* u64: seq of the next frame item */
	PROTO_ITEM_OFFLOAD   = 6, /* offload header, then one frame that may be
	                             a super-frame (PROTO_CAP_OFFLOAD): counts
	                             as one frame in the sequence */
};
/*
 * The offload header: what a virtio_net_hdr says, in network byte order:
 * flags u8 (only 0x01, "checksum from csum_start is partial"), gso_type u8
 * (1 TCPv4, 4 TCPv6, 5 UDP per segment; 0x80 ECN), hdr_len u16, gso_size
 * u16, csum_start u16, csum_offset u16. The frame after it is at most
 * PROTO_OFFLOAD_MAX_FRAME bytes; its segments, ordinary frames.
 */
#define PROTO_OFFLOAD_HDR       10u
#define PROTO_OFFLOAD_MAX_FRAME 65560u  /* a 64 KiB IP packet, two tags */
#define PROTO_SEQ_ITEM_LEN     8u
#define PROTO_ETH_HDR          14u
#define PROTO_ETH_MIN_FRAME    PROTO_ETH_HDR
#define PROTO_ETH_MAX_FRAME    1518u   /* 1500 payload + header + 802.1Q tag */
#define PROTO_ITEM_MAX_LEN     0xFFFFFFu /* u24: room for 64 KiB offload frames */
#define PROTO_KEEPALIVE_PAD    32u
#define PROTO_KEEPALIVE_MAX    1024u   /* longest keepalive item accepted */

enum proto_goodbye_reason {
	PROTO_BYE_NORMAL   = 0, /* user asked to stop */
	PROTO_BYE_SHUTDOWN = 1, /* hub is stopping */
	PROTO_BYE_KICKED   = 2, /* administrator removed the session */
};

/* ---- Timing and queue limits ---------------------------------------- */
#define PROTO_HANDSHAKE_TIMEOUT_MS 10000u /* TLS + login must finish in this */
#define PROTO_KEEPALIVE_MS         10000u /* idle keepalives every 5-10 s */
#define PROTO_DEAD_PEER_MS         30000u
#define PROTO_OUTQ_HIGH_BYTES      (2u * 1024u * 1024u) /* drop above this */
#define PROTO_DEFAULT_PORT         443u
#define PROTO_RESUME_WINDOW_MS     60000u /* a cut session waits this long */
#define PROTO_RESUME_BUDGET        (8u * 1024u * 1024u) /* bytes kept per
                                                           session for it */

/* ---- Codecs ---------------------------------------------------------- */
struct proto_hello {
	uint32_t magic;
	uint16_t version;
	uint32_t caps;
	char hub[PROTO_MAX_NAME + 1];
	char via[PROTO_MAX_VIA + 1];   /* optional: the card's transport */
};
struct proto_auth {
	uint8_t method;
	char user[PROTO_MAX_NAME + 1];
	size_t secret_len;
	char secret[PROTO_MAX_SECRET + 1];
};
struct proto_welcome {
	uint16_t version;
	uint32_t caps;
	uint8_t cipher;
	uint64_t session_id;
	uint32_t max_frame;
	uint32_t keepalive_ms;
	uint8_t token[PROTO_TOKEN_LEN];  /* presented by RESUME */
	uint8_t resumed;                 /* 1: the session continues */
	uint64_t rx_last;                /* resumed: last frame seq received */
	uint16_t ticket_len;             /* 0: none (absent on the wire) */
	uint8_t ticket[PROTO_TICKET_MAX];
};
struct proto_resume {
	uint64_t session_id;
	uint8_t token[PROTO_TOKEN_LEN];
	uint64_t rx_last;
};
struct proto_error {
	uint16_t code;
	char text[PROTO_MAX_ERROR_TEXT + 1];
};
struct proto_admin {
	uint8_t flags;
	size_t len;
	char text[PROTO_ADMIN_TEXT + 1];  /* NUL-terminated too */
};
struct proto_msg {
	enum proto_msg_type type;
	union {
		struct proto_hello hello;
		struct proto_auth auth;
		struct proto_welcome welcome;
		struct proto_error error;
		struct proto_resume resume;
		struct proto_admin admin;
	} u;
};

enum proto_result {
	PROTO_OK = 0,
	PROTO_NEED_MORE = 1,   /* input ends inside a message/record/item */
	PROTO_BAD = -1,        /* malformed: close the session */
};

/* Encode a login message into buf (capacity cap); returns bytes or 0 if it
 * does not fit or a field is out of range. */
size_t proto_msg_encode(const struct proto_msg *m, uint8_t *buf, size_t cap);
/* Decode one message from buf; *used gets its length. On PROTO_BAD, *why
 * (if not NULL) names the fault. */
enum proto_result proto_msg_decode(const uint8_t *buf, size_t len,
    struct proto_msg *m, size_t *used, const char **why);

/* Record header: sealed length (ciphertext + tag) and sequence number. */
void proto_rec_hdr_put(uint8_t hdr[PROTO_REC_HDR], uint32_t sealed_len,
    uint64_t seq);
/* PROTO_BAD if the sealed length is out of range. */
enum proto_result proto_rec_hdr_get(const uint8_t *buf, size_t len,
    uint32_t *sealed_len, uint64_t *seq);

/* Append one item header; the caller copies the payload after it. */
void proto_item_hdr_put(uint8_t *p, enum proto_item_type type, uint32_t len);

/* Iterate the items of a record's plaintext. */
struct proto_item_iter {
	const uint8_t *p;
	size_t left;
};
struct proto_item {
	enum proto_item_type type;
	const uint8_t *data;
	uint32_t len;
};
/* PROTO_OK with *it filled, PROTO_NEED_MORE at the clean end of the
 * plaintext, PROTO_BAD (with *why) on a truncated, unknown or out of range
 * item (frames must be PROTO_ETH_MIN_FRAME..max_frame bytes; an offload
 * item, its header and PROTO_ETH_MIN_FRAME..PROTO_OFFLOAD_MAX_FRAME). */
enum proto_result proto_item_next(struct proto_item_iter *it,
    uint32_t max_frame, struct proto_item *item, const char **why);

const char *proto_error_name(uint16_t code);

/* ---- DHCPv4 (RFC 2131/2132): the hub's service, the card's client ----- */
/* dhcp.c, dhcpsrv.c and dhcpcli.c; not part of the tunnel's protocol. */
#define PROTO_DHCP_SERVER_PORT   67u
#define PROTO_DHCP_CLIENT_PORT   68u
#define PROTO_DHCP_COOKIE        0x63825363u
#define PROTO_DHCP_FIXED_LEN     236u   /* the BOOTP header, before the cookie */
#define PROTO_DHCP_OPTIONS_OFF   240u   /* options follow the cookie */
#define PROTO_DHCP_MIN_LEN       300u   /* what we send is padded to this
                                           (the BOOTP minimum, RFC 1542) */
#define PROTO_DHCP_MAX_FRAME     PROTO_ETH_MAX_FRAME /* a longer frame
                                           carrying DHCP is refused */
#define PROTO_DHCP_MAX_OPTIONS   128u   /* options in one message, pads not
                                           counted: more is an option bomb */
#define PROTO_DHCP_OPT_MAX       255u   /* bytes of one option's value, after
                                           concatenating repeats (RFC 3396) */
#define PROTO_DHCP_MAX_DNS       4u     /* DNS servers kept and sent */
#define PROTO_DHCP_TTL           64u    /* of what we send */
/* The client's timers (RFC 2131 4.1, 4.4.5). */
#define PROTO_DHCP_RETRANS_MS     4000u  /* first retransmission ... */
#define PROTO_DHCP_RETRANS_MAX_MS 64000u /* ... doubling up to this ... */
#define PROTO_DHCP_JITTER_MS      1000u  /* ... each +-this, at random */
#define PROTO_DHCP_REQUEST_TRIES  4u     /* REQUESTs unanswered: start over */
#define PROTO_DHCP_RENEW_MIN_MS   60000u /* renewing, rebinding: no sooner */
#define PROTO_DHCP_DECLINE_WAIT_MS 10000u /* after a DECLINE, before DISCOVER */

#endif
