/* SPDX-License-Identifier: MIT */
/*
 * The on-disk layout of a bulwark plan, version 1. schema/plan-format.md is the specification;
 * this header is its C transcription. Every struct here is little-endian, fixed-width, without
 * implicit padding, and its size is asserted: change one and the format changes.
 */
#pragma once

#include <stdint.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the plan reader maps plans directly and needs a little-endian host"
#endif

#define BW_PLAN_MAGIC                                                                                                  \
        "\x89"                                                                                                         \
        "BWPLAN\n"
#define BW_PLAN_MAGIC_SIZE 8
#define BW_PLAN_VERSION_MAJOR 1
/* The minor version a plan is written with: 1 when it has a section minor 1 added (ENVR, LIMT), so
 * a plan without them is exactly a 1.0 plan. Readers accept any minor of major 1. */
#define BW_PLAN_VERSION_MINOR 1
#define BW_PLAN_ALIGN 8
#define BW_PLAN_MAX_SIZE 67108864u /* 64 MiB */
#define BW_PLAN_MAX_SECTIONS 64
#define BW_PLAN_ID_HEX 12 /* characters of the digest shown as the plan's ID */

/* Required-feature bits: a reader that does not know a set bit must reject the plan. v1 has none. */
#define BW_PLAN_FEATURES_KNOWN UINT64_C(0)

#define BW_FOURCC(a, b, c, d) ((uint32_t) (a) | (uint32_t) (b) << 8 | (uint32_t) (c) << 16 | (uint32_t) (d) << 24)

enum {
        /* critical: the enforcement content */
        BW_SECT_STRS = BW_FOURCC('S', 'T', 'R', 'S'),
        BW_SECT_META = BW_FOURCC('M', 'E', 'T', 'A'),
        BW_SECT_VARS = BW_FOURCC('V', 'A', 'R', 'S'),
        BW_SECT_PRIN = BW_FOURCC('P', 'R', 'I', 'N'),
        BW_SECT_RULE = BW_FOURCC('R', 'U', 'L', 'E'),
        BW_SECT_ACLE = BW_FOURCC('A', 'C', 'L', 'E'),
        BW_SECT_NFTR = BW_FOURCC('N', 'F', 'T', 'R'),
        BW_SECT_TOKS = BW_FOURCC('T', 'O', 'K', 'S'),
        BW_SECT_TREF = BW_FOURCC('T', 'R', 'E', 'F'),
        /* critical but optional (format 1.1): absent means "the defaults" */
        BW_SECT_ENVR = BW_FOURCC('E', 'N', 'V', 'R'),
        BW_SECT_LIMT = BW_FOURCC('L', 'I', 'M', 'T'),
        /* not critical: provenance (where each entry came from) */
        BW_SECT_PSTR = BW_FOURCC('P', 'S', 'T', 'R'),
        BW_SECT_SRCS = BW_FOURCC('S', 'R', 'C', 'S'),
        BW_SECT_PROV = BW_FOURCC('P', 'R', 'O', 'V'),
};

#define BW_SECTION_CRITICAL 0x1u
#define BW_SECTION_FLAGS_KNOWN BW_SECTION_CRITICAL

struct bw_plan_header {
        uint8_t magic[BW_PLAN_MAGIC_SIZE];
        uint16_t version_major;
        uint16_t version_minor;
        uint32_t header_size;
        uint64_t file_size;
        uint64_t required_features;
        uint64_t section_table_offset;
        uint32_t section_count;
        uint32_t section_entry_size;
        /* SHA-256 over this header (digest zeroed), the section table and the optional sections;
         * the critical sections are committed through effect_digest, so each byte is hashed once. */
        uint8_t digest[32];
        uint8_t effect_digest[32]; /* SHA-256 over the critical sections: what the plan does */
        uint8_t reserved[16];
};
_Static_assert(sizeof(struct bw_plan_header) == 128, "plan header size");
_Static_assert(__builtin_offsetof(struct bw_plan_header, digest) == 48, "digest offset");

struct bw_plan_section {
        uint32_t type;
        uint32_t flags;
        uint64_t offset;
        uint64_t size;
        uint32_t count;
        uint32_t entry_size;
};
_Static_assert(sizeof(struct bw_plan_section) == 32, "section entry size");

/* A string: offset and length in STRS (or PSTR for provenance), NUL at offset + length. */
struct bw_plan_str {
        uint32_t offset;
        uint32_t length;
};
_Static_assert(sizeof(struct bw_plan_str) == 8, "string reference size");

enum bw_network { BW_NETWORK_OFF = 0, BW_NETWORK_ON = 1 };

#define BW_META_REQUIRE_SIGNED 0x1u
#define BW_META_FLAGS_KNOWN BW_META_REQUIRE_SIGNED

struct bw_plan_meta {
        struct bw_plan_str compiler; /* "bulwarkc VERSION" */
        struct bw_plan_str name;     /* the policy's name, may be empty */
        uint32_t network;            /* enum bw_network */
        uint32_t flags;              /* BW_META_* */
        uint32_t default_token;      /* index into TOKS */
        uint32_t reserved;
};
_Static_assert(sizeof(struct bw_plan_meta) == 32, "meta size");

enum bw_var_id { BW_VAR_HOME = 0, BW_VAR_TMPDIR, BW_VAR_USER, BW_VAR_WORKSPACE, BW_VAR_COUNT };

#define BW_VAR_BOUND 0x1u
struct bw_plan_var {
        struct bw_plan_str name;
        struct bw_plan_str value; /* empty when unbound */
        uint32_t flags;           /* BW_VAR_BOUND */
        uint32_t reserved;
};
_Static_assert(sizeof(struct bw_plan_var) == 24, "var size");

enum bw_principal_kind { BW_PRINCIPAL_SYSTEM_USER = 1, BW_PRINCIPAL_SYSTEM_GROUP = 2, BW_PRINCIPAL_REAL_USER = 3 };
enum bw_principal_role {
        BW_ROLE_OFFLINE = 1,
        BW_ROLE_ONLINE = 2,
        BW_ROLE_SANDBOX_GROUP = 3,
        BW_ROLE_WRITE_GROUP = 4,
        BW_ROLE_REAL_USER = 5,
};
struct bw_plan_principal {
        struct bw_plan_str name;
        uint32_t kind;      /* enum bw_principal_kind */
        uint32_t role;      /* enum bw_principal_role */
        uint32_t member_of; /* bit i: member of principal i (a group) */
        uint32_t reserved;
};
_Static_assert(sizeof(struct bw_plan_principal) == 24, "principal size");

/* BW_RULE_CACHE: a root the sandbox may write through a private copy-on-write layer (overlayfs):
 * it reads the host's copy, its writes land in a layer of its own, and the host's copy never
 * changes. A path rule without flags; a reader that predates it rejects the plan (unknown kind),
 * so an older enforcer refuses such a plan rather than treat the root as anything else. */
enum bw_rule_kind {
        BW_RULE_WRITABLE = 1,
        BW_RULE_READ_ONLY = 2,
        BW_RULE_READABLE = 3,
        BW_RULE_UNREADABLE = 4,
        BW_RULE_CACHE = 5,
};
enum bw_match_kind { BW_MATCH_PATH = 1, BW_MATCH_GLOB = 2, BW_MATCH_REGEX = 3 };

#define BW_RULE_IGNORE_CASE 0x1u /* pattern matches case-insensitively */
#define BW_RULE_ADMIN 0x2u       /* from an admin constraint: wins over every repository rule */
#define BW_RULE_PROTECTED 0x4u   /* a protected default (libbulwark/protected.h) */
#define BW_RULE_ANYWHERE 0x8u    /* glob starting with "**" + "/": inside every writable root */
#define BW_RULE_FLAGS_KNOWN 0xfu

struct bw_plan_rule {
        struct bw_plan_str text; /* path template, glob or regex source (variables may be unbound) */
        uint32_t kind;           /* enum bw_rule_kind */
        uint32_t match;          /* enum bw_match_kind */
        uint32_t flags;          /* BW_RULE_* */
        uint32_t reserved;
};
_Static_assert(sizeof(struct bw_plan_rule) == 24, "rule size");

#define BW_PERM_R 0x4u
#define BW_PERM_W 0x2u
#define BW_PERM_X 0x1u
#define BW_PERM_COND_X 0x8u /* execute only on directories and already-executable files ("X") */
#define BW_PERMS_KNOWN 0xfu

#define BW_SCOPE_ACCESS 0x1u
#define BW_SCOPE_DEFAULT 0x2u

enum bw_acl_role {
        BW_ACL_GRANT = 1,         /* writable root: the write group may write */
        BW_ACL_CARVE_OUT = 2,     /* read-only within writable: the principals may only read */
        BW_ACL_READ_GRANT = 3,    /* readable: the sandbox group may read */
        BW_ACL_DENY_READ = 4,     /* unreadable: the principals get nothing */
        BW_ACL_OWNER_DEFAULT = 5, /* the real user keeps full control of what the sandbox creates */
};
#define BW_ACL_RECURSIVE 0x1u

/*
 * ACL entry templates: for each rule kind, the entries every rule of that kind implies on the
 * objects it covers. Stored once per kind rather than once per rule: with 10,000 rules, per-rule
 * entries were a quarter of the plan and of the hashing on every load, for no information.
 */
struct bw_plan_acl {
        uint32_t rule_kind; /* enum bw_rule_kind the entry applies to */
        uint8_t principal;  /* index into PRIN */
        uint8_t perms;      /* BW_PERM_* */
        uint8_t scope;      /* BW_SCOPE_* (non-zero) */
        uint8_t role;       /* enum bw_acl_role */
        uint8_t flags;      /* BW_ACL_RECURSIVE */
        uint8_t reserved[3];
};
_Static_assert(sizeof(struct bw_plan_acl) == 12, "acl size");

#define BW_PROTO_TCP 0x1u
#define BW_PROTO_UDP 0x2u
#define BW_PROTO_ICMP 0x4u
#define BW_PROTO_ICMPV6 0x8u
#define BW_PROTO_OTHER 0x10u
#define BW_PROTO_ALL 0x1fu

enum { BW_NFT_FAMILY_INET = 1 };
enum { BW_NFT_HOOK_OUTPUT = 1 };
enum { BW_NFT_MATCH_DADDR_NOT_LOOPBACK = 1 };
enum { BW_NFT_VERDICT_REJECT = 1 };

struct bw_plan_nft_rule {
        uint32_t principal; /* index into PRIN: packets whose socket belongs to this user */
        uint32_t family;
        uint32_t hook;
        uint32_t protocols; /* BW_PROTO_* */
        uint32_t match;
        uint32_t verdict;
        uint32_t reserved[2];
};
_Static_assert(sizeof(struct bw_plan_nft_rule) == 32, "nft rule size");

enum { BW_SECCOMP_DEFAULT_V1 = 1 };
enum bw_landlock_fallback { BW_LANDLOCK_REFUSE = 1, BW_LANDLOCK_DEGRADE = 2 };
#define BW_TOKEN_NO_NEW_PRIVS 0x1u
#define BW_TOKEN_DEFAULT 0x2u
#define BW_TOKEN_FLAGS_KNOWN 0x3u

struct bw_plan_token {
        uint32_t principal; /* index into PRIN (a system user) */
        uint32_t network;   /* enum bw_network */
        uint32_t flags;     /* BW_TOKEN_* */
        uint32_t seccomp_profile;
        uint32_t landlock_min_abi;
        uint32_t landlock_wanted_abi;
        uint32_t landlock_below_min; /* enum bw_landlock_fallback */
        uint32_t ref_first;          /* rules in force: TREF[ref_first .. ref_first + ref_count) */
        uint32_t ref_count;
        uint32_t reserved[3];
};
_Static_assert(sizeof(struct bw_plan_token) == 48, "token size");

/*
 * ENVR (format 1.1): the policy's environment entries. Sorted by (action, name as bytes, flags),
 * strictly increasing. What the runner does with them, and the default drop list that applies
 * with or without this section, is libbulwark/env_policy.h.
 */
enum bw_env_action {
        BW_ENV_PASS = 1, /* keep inherited names matching the glob, even if the default list drops them */
        BW_ENV_DROP = 2, /* drop inherited names matching the glob */
        BW_ENV_SET = 3,  /* set the name (exact, no glob) to value */
};
#define BW_ENV_ADMIN 0x1u /* a drop from an admin's never_pass: no pass entry can keep the name */
#define BW_ENV_FLAGS_KNOWN BW_ENV_ADMIN
#define BW_ENV_NAME_MAX 255   /* bytes of a name or glob */
#define BW_ENV_VALUE_MAX 4096 /* bytes of a set value */

struct bw_plan_env {
        struct bw_plan_str name;  /* PASS/DROP: [A-Za-z_*][A-Za-z0-9_*]*; SET: [A-Za-z_][A-Za-z0-9_]* */
        struct bw_plan_str value; /* SET: the value (may be empty); otherwise {0, 0} */
        uint32_t action;          /* enum bw_env_action */
        uint32_t flags;           /* BW_ENV_ADMIN (with DROP only) */
};
_Static_assert(sizeof(struct bw_plan_env) == 24, "environment entry size");

/*
 * LIMT (format 1.1): one entry, the resource limits the policy set. A zero field means "not set:
 * the default" (libbulwark/plan_limits.h has the defaults and the accessor).
 */
#define BW_LIMIT_MIN_BYTES 1048576u      /* 1 MiB: the smallest tmpfs_size or memory */
#define BW_LIMIT_MAX_PROCESSES 4194304u  /* the kernel's PID_MAX_LIMIT */
#define BW_LIMIT_MAX_CPU_MILLIS 1024000u /* 1024 CPUs */
struct bw_plan_limits {
        uint64_t tmpfs_size;    /* bytes of each private tmpfs; 0 = unset (or a percentage below) */
        uint64_t memory;        /* bytes (memory.max of a delegated cgroup); 0 = unset */
        uint32_t tmpfs_percent; /* 1..100 percent of RAM; 0 = unset. At most one of the two tmpfs fields is set */
        uint32_t processes;     /* 1..BW_LIMIT_MAX_PROCESSES (RLIMIT_NPROC / pids.max); 0 = unset */
        uint32_t cpu_millis;    /* thousandths of a CPU (cpu.max of a delegated cgroup); 0 = unset */
        uint32_t reserved;
};
_Static_assert(sizeof(struct bw_plan_limits) == 32, "limits size");

enum bw_source_layer {
        BW_LAYER_COMPILER = 1, /* bulwarkc's own built-ins (principals, protected defaults) */
        BW_LAYER_PROFILE = 2,  /* a built-in profile from policies/ */
        BW_LAYER_POLICY = 3,   /* the policy file named on the command line */
        BW_LAYER_EXTENDS = 4,  /* a file reached through extends */
        BW_LAYER_ADMIN = 5,    /* an admin constraints file */
};
struct bw_plan_source {
        struct bw_plan_str name; /* in PSTR */
        uint8_t sha256[32];
        uint32_t layer; /* enum bw_source_layer */
        uint32_t reserved;
};
_Static_assert(sizeof(struct bw_plan_source) == 48, "source size");

struct bw_plan_prov {
        uint32_t section; /* section type of the entry */
        uint32_t index;   /* entry index within it */
        uint32_t line;    /* 1-based; 0 = not from a line */
        uint16_t source;  /* index into SRCS */
        uint16_t column;  /* 1-based, in bytes; columns past 65535 are recorded as 65535 */
};
_Static_assert(sizeof(struct bw_plan_prov) == 16, "provenance size");
