/*
 * The C tests of libsipcreds: the shared conformance vectors, the registry scenario, NULL and
 * garbage arguments, and threads sharing one handle. Run under valgrind and AddressSanitizer
 * by `make -C bindings-ffi test` (see the Makefile).
 *
 *   test_sipcreds VECTORS_FILE DB_DIR
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sipcreds.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        checks++;                                                          \
        if (!(cond)) {                                                     \
            failures++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

static const char *PASSWORD = "Pa55-word-that-must-never-show";

/* Every string the library returns goes through here: the password must never be in it. */
static char *seen(char *s) {
    if (s != NULL) CHECK(strstr(s, PASSWORD) == NULL, "password leaked in %s", s);
    return s;
}

static int contains(const char *hay, const char *needle) {
    return hay != NULL && strstr(hay, needle) != NULL;
}

/* Copy the value of "key":"..." out of a JSON text (enough for ids in these tests). */
static void extract(const char *json, const char *key, char *out, size_t n) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *p = json ? strstr(json, pattern) : NULL;
    out[0] = '\0';
    if (p == NULL) return;
    p += strlen(pattern);
    size_t i = 0;
    while (p[i] != '"' && p[i] != '\0' && i + 1 < n) {
        out[i] = p[i];
        i++;
    }
    out[i] = '\0';
}

/* ------------------------------------------------------------------------------------ */

static char *read_line(FILE *f) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    if (n < 0) {
        free(line);
        return NULL;
    }
    if (n > 0 && line[n - 1] == '\n') line[n - 1] = '\0';
    return line;
}

static void test_vectors(const char *path) {
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL, "cannot open %s", path);
    if (f == NULL) return;
    int count = 0;
    char *name;
    while ((name = read_line(f)) != NULL) {
        char *code = read_line(f);
        char *field = read_line(f);
        char *len_line = read_line(f);
        size_t len = (size_t)strtoul(len_line, NULL, 10);
        char *body = malloc(len + 1);
        size_t got = fread(body, 1, len, f);
        body[got] = '\0';
        (void)fgetc(f); /* the newline after the body */
        char *nexp_line = read_line(f);
        int nexp = atoi(nexp_line);

        char *out = NULL;
        sipcreds_status status = sipcreds_validate_credential_json(body, &out);
        seen(out);
        CHECK(strcmp(sipcreds_status_name(status), code) == 0, "%s: status %s, want %s (%s)", name,
              sipcreds_status_name(status), code, out);
        CHECK(out != NULL, "%s: no output", name);
        if (status == SIPCREDS_OK) {
            for (int i = 0; i < nexp; i++) {
                char *frag = read_line(f);
                CHECK(contains(out, frag), "%s: %s not in %s", name, frag, out);
                free(frag);
            }
        } else {
            char want[512];
            if (strcmp(field, "-") == 0)
                snprintf(want, sizeof want, "\"field\":null");
            else
                snprintf(want, sizeof want, "\"field\":\"%s\"", field);
            CHECK(contains(out, want), "%s: %s not in %s", name, want, out);
            char want_code[128];
            snprintf(want_code, sizeof want_code, "\"code\":\"%s\"", code);
            CHECK(contains(out, want_code), "%s: %s", name, out);
            for (int i = 0; i < nexp; i++) free(read_line(f));
        }
        sipcreds_string_free(out);
        free(name);
        free(code);
        free(field);
        free(len_line);
        free(body);
        free(nexp_line);
        count++;
    }
    fclose(f);
    CHECK(count >= 200, "only %d vectors", count);
    printf("vectors: %d checked through sipcreds_validate_credential_json\n", count);
}

/* ------------------------------------------------------------------------------------ */

static void scenario(const char *db_path) {
    sipcreds_registry *reg = NULL;
    char *out = NULL;
    sipcreds_status st = sipcreds_registry_open(db_path, &reg, &out);
    CHECK(st == SIPCREDS_OK && reg != NULL && out == NULL, "open %s: %u %s", db_path ? db_path : "(memory)", st,
          out ? out : "");
    if (st != SIPCREDS_OK) {
        sipcreds_string_free(out);
        return;
    }

    char body[512];
    snprintf(body, sizeof body,
             "{\"name\":\"Main trunk\",\"server\":\"SIP.Example.com:5061\",\"transport\":\"TLS\","
             "\"authUser\":\"acme-trunk\",\"authPassword\":\"%s\",\"cpsLimit\":2,\"cpsKey\":\"pool\"}",
             PASSWORD);
    st = sipcreds_registry_create_credential(reg, "acme", body, &out);
    seen(out);
    CHECK(st == SIPCREDS_OK, "create: %s", out);
    CHECK(contains(out, "\"server\":\"sip.example.com:5061\"") && contains(out, "\"hasPassword\":true") &&
              contains(out, "\"version\":1") && contains(out, "\"source\":\"manual\""),
          "create output %s", out);
    char id[64];
    extract(out, "id", id, sizeof id);
    CHECK(strncmp(id, "cred_", 5) == 0, "id %s", id);
    sipcreds_string_free(out);

    /* The one way to read the password. */
    char *pw = NULL;
    st = sipcreds_credential_reveal_password(reg, "acme", id, &pw);
    CHECK(st == SIPCREDS_OK && pw != NULL && strcmp(pw, PASSWORD) == 0, "reveal: %u", st);
    sipcreds_string_free(pw);
    st = sipcreds_credential_reveal_password(reg, "other", id, &pw);
    CHECK(st == SIPCREDS_NOT_FOUND && contains(pw, "not_found"), "reveal other org: %u", st);
    sipcreds_string_free(pw);

    st = sipcreds_registry_link_number(reg, "acme", "+14155550100", id, &out);
    CHECK(st == SIPCREDS_OK && contains(out, "+14155550100"), "link: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_create_agent(reg, "acme", "Ada", &out);
    char agent[64];
    extract(out, "id", agent, sizeof agent);
    CHECK(st == SIPCREDS_OK && strncmp(agent, "agent_", 6) == 0, "agent: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_assign_number(reg, "acme", agent, "+14155550100", &out);
    CHECK(st == SIPCREDS_OK, "assign: %s", out);
    sipcreds_string_free(seen(out));

    st = sipcreds_registry_usage(reg, "acme", id, &out);
    CHECK(st == SIPCREDS_OK && contains(out, "\"phoneNumbers\":[\"+14155550100\"]") && contains(out, "\"name\":\"Ada\""),
          "usage: %s", out);
    sipcreds_string_free(seen(out));

    st = sipcreds_registry_delete_credential(reg, "acme", id, false, &out);
    CHECK(st == SIPCREDS_IN_USE && contains(out, "\"code\":\"in_use\"") && contains(out, "+14155550100"),
          "refused delete: %u %s", st, out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_get_credential(reg, "acme", id, &out);
    CHECK(st == SIPCREDS_OK && contains(out, "\"version\":1"), "still there: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_get_credential(reg, "other", id, &out);
    CHECK(st == SIPCREDS_NOT_FOUND, "other org: %s", out);
    sipcreds_string_free(seen(out));

    st = sipcreds_registry_update_credential(reg, "acme", id, "{\"expectedVersion\":7,\"name\":\"x\"}", &out);
    CHECK(st == SIPCREDS_CONFLICT && contains(out, "\"expectedVersion\":7") && contains(out, "\"actualVersion\":1"),
          "conflict: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_update_credential(reg, "acme", id, "{\"expectedVersion\":1,\"cpsLimit\":3}", &out);
    CHECK(st == SIPCREDS_OK && contains(out, "\"version\":2") && contains(out, "\"cpsLimit\":3"), "update: %s", out);
    sipcreds_string_free(seen(out));

    st = sipcreds_registry_connect_provider(reg, "acme", "twilio", "Twilio",
                                            "[{\"server\":\"acme.pstn.twilio.com\",\"transport\":\"tls\"}]", &out);
    CHECK(st == SIPCREDS_OK && contains(out, "\"readOnly\":true"), "connect: %s", out);
    char provider[64], managed[64];
    extract(out, "providerId", provider, sizeof provider);
    const char *creds = strstr(out, "\"credentials\"");
    extract(creds, "id", managed, sizeof managed);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_update_credential(reg, "acme", managed, "{\"name\":\"mine\"}", &out);
    CHECK(st == SIPCREDS_READ_ONLY, "read only: %u %s", st, out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_connect_provider(reg, "acme", "twilio", "T",
                                            "[{\"server\":\"ok.example.com\"},{\"server\":\"sip:bad\"}]", &out);
    CHECK(st == SIPCREDS_INVALID_SERVER && contains(out, "\"field\":\"credentials[1].server\""), "item error: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_delete_provider(reg, "acme", provider, &out);
    CHECK(st == SIPCREDS_OK && contains(out, managed), "delete provider: %s", out);
    sipcreds_string_free(seen(out));

    /* Rate limits: 3 per second now. */
    int admitted = 0;
    for (int i = 0; i < 10; i++) {
        sipcreds_decision d = {.admitted = true, .wait_ms = 7, .retry_after_ms = 7};
        st = sipcreds_registry_try_acquire(reg, "acme", id, &d, &out);
        CHECK(st == SIPCREDS_OK && out == NULL, "try_acquire: %u %s", st, out);
        if (d.admitted) {
            admitted++;
            CHECK(d.wait_ms == 0 && d.retry_after_ms == 0, "admitted: %llu %llu", (unsigned long long)d.wait_ms,
                  (unsigned long long)d.retry_after_ms);
        } else {
            CHECK(d.retry_after_ms > 0 && d.retry_after_ms <= 1100, "retry after %llu ms",
                  (unsigned long long)d.retry_after_ms);
        }
    }
    CHECK(admitted == 3, "admitted %d of 10 with limit 3", admitted);
    sipcreds_decision d = {0};
    st = sipcreds_registry_reserve(reg, "acme", id, 5000, &d, &out);
    CHECK(st == SIPCREDS_OK && d.admitted && d.wait_ms > 0 && d.wait_ms <= 1100, "reserve: %u %llu", st,
          (unsigned long long)d.wait_ms);
    st = sipcreds_registry_reserve(reg, "acme", id, 0, &d, &out);
    CHECK(st == SIPCREDS_OK && !d.admitted && d.retry_after_ms > 0, "reserve 0: %u", st);
    /* An error: the JSON in out_error_json, the decision zeroed. */
    d.admitted = true;
    st = sipcreds_registry_try_acquire(reg, "acme", "cred_01J00000000000000000000000", &d, &out);
    CHECK(st == SIPCREDS_NOT_FOUND && !d.admitted && contains(out, "not_found"), "unknown: %u %s", st, out);
    sipcreds_string_free(seen(out));
    /* NULL outputs are allowed. */
    st = sipcreds_registry_try_acquire(reg, "acme", id, NULL, NULL);
    CHECK(st == SIPCREDS_OK, "NULL outputs: %u", st);

    const char *listing[] = {"credentials", "numbers", "agents", "providers", "lint", "groups"};
    for (size_t i = 0; i < sizeof listing / sizeof *listing; i++) {
        switch (i) {
            case 0: st = sipcreds_registry_list_credentials(reg, "acme", &out); break;
            case 1: st = sipcreds_registry_list_numbers(reg, "acme", &out); break;
            case 2: st = sipcreds_registry_list_agents(reg, "acme", &out); break;
            case 3: st = sipcreds_registry_list_providers(reg, "acme", &out); break;
            case 4: st = sipcreds_registry_lint(reg, "acme", &out); break;
            default: st = sipcreds_registry_rate_groups(reg, "acme", &out); break;
        }
        CHECK(st == SIPCREDS_OK && out != NULL && out[0] == '[', "list %s: %s", listing[i], out);
        sipcreds_string_free(seen(out));
    }

    /* The count: a JSON number, the length of the list. */
    st = sipcreds_registry_list_credentials(reg, "acme", &out);
    CHECK(st == SIPCREDS_OK, "list for count: %s", out);
    size_t listed = 0;
    for (const char *p = out; (p = strstr(p, "\"id\":\"cred_")) != NULL; p++) listed++;
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_count_credentials(reg, "acme", &out);
    CHECK(st == SIPCREDS_OK && out != NULL && out[strspn(out, "0123456789")] == '\0' &&
              strtoul(out, NULL, 10) == listed && listed > 0,
          "count %s, listed %zu", out, listed);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_count_credentials(reg, "Not An Org!", &out);
    CHECK(st == SIPCREDS_INVALID_ORG && contains(out, "\"code\":\"invalid_org\""), "count, bad org: %s", out);
    sipcreds_string_free(seen(out));

    st = sipcreds_registry_delete_credential(reg, "acme", id, true, &out);
    CHECK(st == SIPCREDS_OK && contains(out, "\"unlinkedNumbers\":[\"+14155550100\"]"), "forced delete: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_unassign_number(reg, "acme", agent, "+14155550100", &out);
    CHECK(st == SIPCREDS_OK, "unassign: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_delete_number(reg, "acme", "+14155550100", &out);
    CHECK(st == SIPCREDS_OK, "delete number: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_delete_agent(reg, "acme", agent, &out);
    CHECK(st == SIPCREDS_OK, "delete agent: %s", out);
    sipcreds_string_free(seen(out));

    sipcreds_registry_free(reg);
    printf("registry scenario: ok on %s\n", db_path ? db_path : "memory");
}

/* ------------------------------------------------------------------------------------ */

static void null_and_garbage(void) {
    char *out = NULL;
    sipcreds_status st = sipcreds_validate_credential_json(NULL, &out);
    CHECK(st == SIPCREDS_NULL_ARGUMENT && contains(out, "\"field\":\"json\""), "NULL json: %s", out);
    sipcreds_string_free(out);
    CHECK(sipcreds_validate_credential_json("{\"server\":\"a.example.com\"}", NULL) == SIPCREDS_OK, "NULL out");
    CHECK(sipcreds_validate_credential_json(NULL, NULL) == SIPCREDS_NULL_ARGUMENT, "NULL both");

    st = sipcreds_registry_list_credentials(NULL, "acme", &out);
    CHECK(st == SIPCREDS_NULL_ARGUMENT && contains(out, "registry"), "NULL registry: %s", out);
    sipcreds_string_free(out);
    sipcreds_registry *reg = NULL;
    st = sipcreds_registry_open(NULL, &reg, NULL);
    CHECK(st == SIPCREDS_OK && reg != NULL, "open memory");
    st = sipcreds_registry_list_credentials(reg, NULL, &out);
    CHECK(st == SIPCREDS_NULL_ARGUMENT && contains(out, "\"field\":\"org\""), "NULL org: %s", out);
    sipcreds_string_free(out);
    st = sipcreds_registry_link_number(reg, "acme", "+14155550100", NULL, &out);
    CHECK(st == SIPCREDS_NULL_ARGUMENT && contains(out, "credential_id"), "NULL id: %s", out);
    sipcreds_string_free(out);
    st = sipcreds_registry_create_credential(reg, "acme", "{\"server\":\"a.example.com\"}", NULL);
    CHECK(st == SIPCREDS_OK, "NULL out_json still works");
    CHECK(sipcreds_registry_open(NULL, NULL, &out) == SIPCREDS_NULL_ARGUMENT, "NULL out_registry");
    sipcreds_string_free(out);
    st = sipcreds_credential_reveal_password(reg, "acme", "cred_01ARZ3NDEKTSV4RRFFQ69G5FAV", &out);
    CHECK(st == SIPCREDS_NOT_FOUND, "reveal unknown");
    sipcreds_string_free(out);

    /* Not UTF-8, not JSON, too large, hostile. */
    st = sipcreds_validate_credential_json("{\"server\":\"\xff\xfe\"}", &out);
    CHECK(st == SIPCREDS_INVALID_JSON, "bad UTF-8: %u %s", st, out);
    sipcreds_string_free(out);
    st = sipcreds_registry_list_credentials(reg, "\xc3\x28", &out);
    CHECK(st == SIPCREDS_INVALID_ORG, "bad UTF-8 org: %u", st);
    sipcreds_string_free(out);
    st = sipcreds_registry_list_credentials(reg, "../../etc/passwd'; DROP TABLE credentials;--", &out);
    CHECK(st == SIPCREDS_INVALID_ORG, "hostile org: %u", st);
    sipcreds_string_free(out);
    size_t big = 70000;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    huge[big] = '\0';
    st = sipcreds_validate_credential_json(huge, &out);
    CHECK(st == SIPCREDS_TOO_LARGE, "too large: %u", st);
    sipcreds_string_free(out);
    free(huge);
    char deep[4096];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    st = sipcreds_validate_credential_json(deep, &out);
    CHECK(st == SIPCREDS_INVALID_JSON, "deep nesting: %u", st);
    sipcreds_string_free(out);
    st = sipcreds_validate_credential_json("{\"server\":\"sip.example.com\\r\\nVia: evil\"}", &out);
    CHECK(st == SIPCREDS_INVALID_SERVER, "header injection: %u", st);
    sipcreds_string_free(out);
    unsigned seed = 12345;
    for (int i = 0; i < 2000; i++) {
        char junk[64];
        size_t n = (size_t)(rand_r(&seed) % 63);
        for (size_t k = 0; k < n; k++) junk[k] = (char)(1 + rand_r(&seed) % 255);
        junk[n] = '\0';
        st = sipcreds_validate_credential_json(junk, &out);
        CHECK(st != SIPCREDS_OK && st != SIPCREDS_INTERNAL && out != NULL, "junk %d: %u", i, st);
        sipcreds_string_free(out);
        st = sipcreds_diagnose(junk, junk, &out);
        CHECK(st != SIPCREDS_INTERNAL && out != NULL, "diagnose junk: %u", st);
        sipcreds_string_free(out);
    }

    CHECK(strcmp(sipcreds_status_name(SIPCREDS_IN_USE), "in_use") == 0, "name in_use");
    CHECK(strcmp(sipcreds_status_name(12345), "unknown") == 0, "name unknown");
    CHECK(SIPCREDS_STORAGE == 21 && SIPCREDS_INVALID_JSON == 1, "fixed numbers");
    st = sipcreds_list_all_errors(&out);
    CHECK(st == SIPCREDS_OK && contains(out, "invalid_server") && contains(out, "\"number\":21"), "list errors: %s",
          out);
    sipcreds_string_free(out);
    st = sipcreds_diagnose("503", "CPS limit exceeded", &out);
    CHECK(st == SIPCREDS_OK && contains(out, "\"symptom\":\"503\""), "diagnose: %s", out);
    sipcreds_string_free(out);
    st = sipcreds_diagnose("418", NULL, &out);
    CHECK(st == SIPCREDS_INVALID_SYMPTOM, "bad symptom: %u", st);
    sipcreds_string_free(out);
    st = sipcreds_lint_credential_json("{\"server\":\"a.example.com:5060\",\"transport\":\"tls\"}", &out);
    CHECK(st == SIPCREDS_OK && contains(out, "tls_on_plain_port"), "lint: %s", out);
    sipcreds_string_free(out);

    char version[32];
    snprintf(version, sizeof version, "%d.%d.%d", SIPCREDS_VERSION_MAJOR, SIPCREDS_VERSION_MINOR,
             SIPCREDS_VERSION_PATCH);
    CHECK(strcmp(version, sipcreds_version()) == 0, "header %s, library %s", version, sipcreds_version());

    sipcreds_registry_free(reg);
    sipcreds_registry_free(NULL);
    sipcreds_string_free(NULL);
    printf("NULL and garbage arguments: ok\n");
}

/* ------------------------------------------------------------------------------------ */

struct hammer {
    const sipcreds_registry *reg;
    const char *id;
    int admitted;
};

static void *hammer(void *arg) {
    struct hammer *h = arg;
    for (int i = 0; i < 500; i++) {
        char *out = NULL;
        sipcreds_decision d;
        if (sipcreds_registry_try_acquire(h->reg, "acme", h->id, &d, &out) == SIPCREDS_OK && d.admitted)
            h->admitted++;
        sipcreds_string_free(out);
    }
    return NULL;
}

static void threads(void) {
    sipcreds_registry *reg = NULL;
    sipcreds_registry_open(NULL, &reg, NULL);
    char *out = NULL;
    sipcreds_registry_create_credential(reg, "acme", "{\"server\":\"a.example.com\",\"cpsLimit\":5}", &out);
    char id[64];
    extract(out, "id", id, sizeof id);
    sipcreds_string_free(out);
    pthread_t t[4];
    struct hammer h[4];
    for (int i = 0; i < 4; i++) {
        h[i] = (struct hammer){reg, id, 0};
        pthread_create(&t[i], NULL, hammer, &h[i]);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        total += h[i].admitted;
    }
    /* 2000 attempts in well under a second (or a little over, under valgrind): 5, or 10 if the
     * run crossed into the next window of 1 s + margin. */
    CHECK(total >= 5 && total <= 10 && total % 5 == 0, "admitted %d", total);
    sipcreds_registry_free(reg);
    printf("4 threads on one handle: %d admitted\n", total);
}

/* The store and limiter chosen by location: errors for bad limiters and an unreachable Redis;
 * with the servers of scripts/ci/services.sh (SIPCREDS_TEST_POSTGRES_URL, ..._REDIS_URL),
 * a registry on PostgreSQL with its limits in Redis. */
static void locations(void) {
    sipcreds_registry *reg = NULL;
    char *out = NULL;
    sipcreds_status st = sipcreds_registry_open_with(NULL, "bogus", &reg, &out);
    CHECK(st == SIPCREDS_INVALID_OPTION && reg == NULL && contains(out, "\"field\":\"limiter\""), "bogus limiter: %s", out);
    sipcreds_string_free(out);
    st = sipcreds_registry_open_with(NULL, "file", &reg, &out);
    CHECK(st == SIPCREDS_INVALID_OPTION && reg == NULL, "file limiter without a path: %s", out);
    sipcreds_string_free(out);

    st = sipcreds_registry_open_with(NULL, "redis://:Hunter2-pw@127.0.0.1:1/", &reg, &out);
    CHECK(st == SIPCREDS_OK && reg != NULL, "memory + redis limiter: %u", st);
    st = sipcreds_registry_create_credential(reg, "acme", "{\"server\":\"sip.example.com\"}", &out);
    char id[64];
    extract(out, "id", id, sizeof id);
    sipcreds_string_free(out);
    sipcreds_decision rd;
    st = sipcreds_registry_try_acquire(reg, "acme", id, &rd, &out);
    CHECK(st == SIPCREDS_STORAGE && contains(out, "redis") && !contains(out, "Hunter2"), "unreachable redis: %s", out);
    sipcreds_string_free(out);
    sipcreds_registry_free(reg);

    const char *pg = getenv("SIPCREDS_TEST_POSTGRES_URL");
    const char *redis = getenv("SIPCREDS_TEST_REDIS_URL");
    if (pg == NULL || redis == NULL) {
        CHECK(getenv("SIPCREDS_REQUIRE_SERVICES") == NULL, "SIPCREDS_TEST_POSTGRES_URL / _REDIS_URL not set");
        printf("skipped the PostgreSQL/Redis checks: no servers\n");
        return;
    }
    setenv("SIPCREDS_KEY", getenv("SIPCREDS_TEST_KEY"), 1);
    st = sipcreds_registry_open_with(pg, redis, &reg, &out);
    CHECK(st == SIPCREDS_OK && reg != NULL, "postgres + redis: %u %s", st, out ? out : "");
    if (st != SIPCREDS_OK) {
        sipcreds_string_free(out);
        return;
    }
    char org[64], body[256];
    snprintf(org, sizeof org, "c-%ld-%ld", (long)getpid(), (long)time(NULL));
    snprintf(body, sizeof body, "{\"server\":\"sip.example.com\",\"authUser\":\"u\",\"authPassword\":\"%s\",\"cpsLimit\":3}", PASSWORD);
    st = sipcreds_registry_create_credential(reg, org, body, &out);
    CHECK(st == SIPCREDS_OK, "create on postgres: %s", seen(out));
    extract(out, "id", id, sizeof id);
    sipcreds_string_free(out);
    char *pw = NULL;
    st = sipcreds_credential_reveal_password(reg, org, id, &pw);
    CHECK(st == SIPCREDS_OK && pw != NULL && strcmp(pw, PASSWORD) == 0, "reveal on postgres: %u", st);
    sipcreds_string_free(pw);
    int admitted = 0;
    for (int i = 0; i < 10; i++) {
        sipcreds_decision pd;
        st = sipcreds_registry_try_acquire(reg, org, id, &pd, &out);
        CHECK(st == SIPCREDS_OK, "try_acquire through redis: %s", out);
        admitted += pd.admitted;
        sipcreds_string_free(out);
    }
    CHECK(admitted <= 3, "%d admitted in a burst, limit 3", admitted);
    sipcreds_registry_free(reg);
}

/* A socket bound to a free loopback port; its port in *port. */
static int bound(int type, int *port) {
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0, "bind");
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

/* The live probe: a silent UDP peer (timeout within the budget), a closed TCP port
 * (refused), and the errors that stop a probe from starting. */
static void probe(void) {
    sipcreds_registry *reg = NULL;
    char *out = NULL;
    CHECK(sipcreds_registry_open(NULL, &reg, &out) == SIPCREDS_OK, "open");
    int silent_port = 0, closed_port = 0;
    int silent = bound(SOCK_DGRAM, &silent_port);
    int closed = bound(SOCK_STREAM, &closed_port);
    close(closed);
    char body[256], id_silent[64], id_closed[64];
    snprintf(body, sizeof body, "{\"server\":\"127.0.0.1:%d\",\"authUser\":\"u\",\"authPassword\":\"%s\"}",
             silent_port, PASSWORD);
    CHECK(sipcreds_registry_create_credential(reg, "acme", body, &out) == SIPCREDS_OK, "create: %s", out);
    extract(seen(out), "id", id_silent, sizeof id_silent);
    sipcreds_string_free(out);
    snprintf(body, sizeof body, "{\"server\":\"127.0.0.1:%d\",\"transport\":\"tcp\"}", closed_port);
    CHECK(sipcreds_registry_create_credential(reg, "acme", body, &out) == SIPCREDS_OK, "create: %s", out);
    extract(out, "id", id_closed, sizeof id_closed);
    sipcreds_string_free(out);

    sipcreds_status st = sipcreds_registry_probe(reg, "acme", id_silent, "{\"timeout\": 0.3}", &out);
    CHECK(st == SIPCREDS_OK && contains(seen(out), "\"outcome\":\"timeout\"") && contains(out, "\"symptom\":\"timeout\""),
          "silent: %u %s", st, out);
    sipcreds_string_free(out);
    st = sipcreds_registry_probe(reg, "acme", id_closed, NULL, &out);
    CHECK(st == SIPCREDS_OK && contains(out, "\"outcome\":\"connection_refused\"") && contains(out, "\"causes\":[{"),
          "closed: %u %s", st, out);
    sipcreds_string_free(out);
    st = sipcreds_registry_probe(reg, "acme", id_closed, "{\"timeout\": 99}", &out);
    CHECK(st == SIPCREDS_INVALID_OPTION && contains(out, "\"field\":\"timeout\""), "bad timeout: %u %s", st, out);
    sipcreds_string_free(out);
    st = sipcreds_registry_probe(reg, "acme", id_closed, "{\"caFile\": \"/nonexistent.pem\"}", &out);
    CHECK(st == SIPCREDS_INVALID_OPTION && contains(out, "\"field\":\"caFile\""), "bad ca: %u %s", st, out);
    sipcreds_string_free(out);
    st = sipcreds_registry_probe(reg, "acme", id_closed, "not json", &out);
    CHECK(st == SIPCREDS_INVALID_OPTION, "not json: %u %s", st, out);
    sipcreds_string_free(out);
    st = sipcreds_registry_probe(reg, "acme", "cred_01J00000000000000000000000", NULL, &out);
    CHECK(st == SIPCREDS_NOT_FOUND, "unknown: %u %s", st, out);
    sipcreds_string_free(out);
    st = sipcreds_registry_probe(NULL, "acme", id_closed, NULL, &out);
    CHECK(st != SIPCREDS_OK, "NULL registry: %u", st);
    sipcreds_string_free(out);
    st = sipcreds_registry_probe(reg, "acme", id_closed, NULL, NULL);
    CHECK(st == SIPCREDS_OK, "NULL out: %u", st);
    close(silent);
    sipcreds_registry_free(reg);
}

/* probe_all: the reports come back on this thread as each probe ends (the refused port
 * first, though created last), a callback returning 0 stops starting more, and a bad
 * concurrency or a NULL callback stops it before any probe starts. */
struct probe_seen {
    int count;
    int stop_after;
    char first[64];
};

static int on_report(const char *report_json, void *user_data) {
    struct probe_seen *s = user_data;
    if (s->count == 0) {
        const char *o = strstr(report_json, "\"outcome\":\"");
        if (o) {
            o += strlen("\"outcome\":\"");
            size_t n = strcspn(o, "\"");
            if (n >= sizeof s->first) n = sizeof s->first - 1;
            memcpy(s->first, o, n);
            s->first[n] = 0;
        }
    }
    s->count++;
    return s->stop_after == 0 || s->count < s->stop_after;
}

static void probe_all(void) {
    sipcreds_registry *reg = NULL;
    char *out = NULL;
    CHECK(sipcreds_registry_open(NULL, &reg, &out) == SIPCREDS_OK, "open");
    int fds[5];
    for (int i = 0; i < 5; i++) {
        int port = 0;
        fds[i] = bound(SOCK_DGRAM, &port);
        char body[128];
        snprintf(body, sizeof body, "{\"server\":\"127.0.0.1:%d\"}", port);
        CHECK(sipcreds_registry_create_credential(reg, "acme", body, &out) == SIPCREDS_OK, "create: %s", out);
        sipcreds_string_free(out);
    }
    int closed_port = 0;
    close(bound(SOCK_STREAM, &closed_port));
    char body[128];
    snprintf(body, sizeof body, "{\"server\":\"127.0.0.1:%d\",\"transport\":\"tcp\"}", closed_port);
    CHECK(sipcreds_registry_create_credential(reg, "acme", body, &out) == SIPCREDS_OK, "create: %s", out);
    sipcreds_string_free(out);

    struct probe_seen s = {0};
    sipcreds_status st = sipcreds_registry_probe_all(reg, "acme", "{\"timeout\": 0.3}", 6, on_report, &s, &out);
    CHECK(st == SIPCREDS_OK && contains(out, "{\"probed\":6}"), "probe_all: %u %s", st, out);
    CHECK(s.count == 6 && strcmp(s.first, "connection_refused") == 0, "seen %d, first %s", s.count, s.first);
    sipcreds_string_free(out);

    struct probe_seen one = {.stop_after = 1};
    st = sipcreds_registry_probe_all(reg, "acme", "{\"timeout\": 0.3}", 1, on_report, &one, &out);
    CHECK(st == SIPCREDS_OK && one.count == 1 && contains(out, "{\"probed\":1}"), "stop: %u %s", st, out);
    sipcreds_string_free(out);

    /* acquire: admitted at once on an idle group of limit 1, then refused within 0 ms. */
    char limited[64];
    CHECK(sipcreds_registry_create_credential(reg, "acme", "{\"server\":\"sip.example.com\",\"cpsLimit\":1}", &out) == SIPCREDS_OK, "create: %s", out);
    extract(out, "id", limited, sizeof limited);
    sipcreds_string_free(out);
    sipcreds_decision ad;
    st = sipcreds_registry_acquire(reg, "acme", limited, 0, &ad, &out);
    CHECK(st == SIPCREDS_OK && ad.admitted && ad.wait_ms == 0, "acquire: %u %s", st, out);
    st = sipcreds_registry_acquire(reg, "acme", limited, 0, &ad, &out);
    CHECK(st == SIPCREDS_OK && !ad.admitted && ad.retry_after_ms > 0, "acquire again: %u %s", st, out);

    st = sipcreds_registry_probe_all(reg, "acme", NULL, 0, on_report, &s, &out);
    CHECK(st == SIPCREDS_INVALID_OPTION && contains(out, "\"field\":\"concurrency\""), "concurrency 0: %u %s", st, out);
    sipcreds_string_free(out);
    st = sipcreds_registry_probe_all(reg, "acme", NULL, 4, NULL, NULL, &out);
    CHECK(st != SIPCREDS_OK, "NULL callback: %u", st);
    sipcreds_string_free(out);
    for (int i = 0; i < 5; i++) close(fds[i]);
    sipcreds_registry_free(reg);
}

/* Pages (SPEC §5): every page of the credentials two at a time, each cursor the last id of its
 * page; the numbers after a cursor; bad limits and cursors are SIPCREDS_INVALID_OPTION with
 * their field. */
static void pages(void) {
    sipcreds_registry *reg = NULL;
    char *out = NULL;
    sipcreds_status st = sipcreds_registry_open(NULL, &reg, &out);
    CHECK(st == SIPCREDS_OK, "open: %u", st);
    char ids[5][64];
    for (int i = 0; i < 5; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"server\":\"t%d.example.com\"}", i);
        st = sipcreds_registry_create_credential(reg, "acme", body, &out);
        CHECK(st == SIPCREDS_OK, "create: %s", out);
        extract(out, "id", ids[i], sizeof ids[i]);
        sipcreds_string_free(out);
    }
    char after[64] = "";
    int seen_items = 0, pages_read = 0;
    for (;;) {
        st = sipcreds_registry_list_credentials_page(reg, "acme", 2, after[0] ? after : NULL, &out);
        CHECK(st == SIPCREDS_OK && contains(out, "\"items\":["), "page after %s: %s", after, out);
        if (st != SIPCREDS_OK) break;
        for (int i = 0; i < 5; i++) seen_items += contains(out, ids[i]);
        pages_read++;
        if (contains(out, "\"next\":null")) {
            sipcreds_string_free(out);
            break;
        }
        extract(out, "next", after, sizeof after);
        sipcreds_string_free(out);
        CHECK(pages_read < 10, "pages never end");
        if (pages_read >= 10) break;
    }
    CHECK(seen_items == 5 && pages_read == 3, "%d items in %d pages", seen_items, pages_read);

    st = sipcreds_registry_link_number(reg, "acme", "+14155550101", ids[0], &out);
    sipcreds_string_free(out);
    st = sipcreds_registry_link_number(reg, "acme", "+14155550103", ids[1], &out);
    sipcreds_string_free(out);
    st = sipcreds_registry_list_numbers_page(reg, "acme", 10, "+14155550102", &out);
    CHECK(st == SIPCREDS_OK && contains(out, "+14155550103") && !contains(out, "+14155550101") &&
              contains(out, "\"next\":null"),
          "numbers after: %s", out);
    sipcreds_string_free(out);
    st = sipcreds_registry_list_agents_page(reg, "acme", 5, NULL, &out);
    CHECK(st == SIPCREDS_OK && contains(out, "{\"items\":[],\"next\":null}"), "no agents: %s", out);
    sipcreds_string_free(out);
    st = sipcreds_registry_list_providers_page(reg, "acme", 5, NULL, &out);
    CHECK(st == SIPCREDS_OK, "providers: %s", out);
    sipcreds_string_free(out);

    st = sipcreds_registry_list_credentials_page(reg, "acme", 0, NULL, &out);
    CHECK(st == SIPCREDS_INVALID_OPTION && contains(out, "\"field\":\"limit\""), "limit 0: %s", out);
    sipcreds_string_free(out);
    st = sipcreds_registry_list_credentials_page(reg, "acme", 1001, NULL, &out);
    CHECK(st == SIPCREDS_INVALID_OPTION && contains(out, "\"field\":\"limit\""), "limit 1001: %s", out);
    sipcreds_string_free(out);
    st = sipcreds_registry_list_agents_page(reg, "acme", 5, ids[0], &out);
    CHECK(st == SIPCREDS_INVALID_OPTION && contains(out, "\"field\":\"after\""), "agent cursor: %s", out);
    sipcreds_string_free(out);
    st = sipcreds_registry_list_numbers_page(reg, "acme", 5, "\xc3\x28", &out);
    CHECK(st == SIPCREDS_INVALID_OPTION && contains(out, "\"field\":\"after\""), "not UTF-8: %s", out);
    sipcreds_string_free(out);
    st = sipcreds_registry_list_credentials_page(NULL, "acme", 5, NULL, &out);
    CHECK(st != SIPCREDS_OK, "NULL registry");
    sipcreds_string_free(out);
    sipcreds_registry_free(reg);
}

/* API tokens: made once with their text, listed without it, revoked; bad roles refused. */
static void tokens(void) {
    sipcreds_registry *reg = NULL;
    char *out = NULL;
    CHECK(sipcreds_registry_open(NULL, &reg, NULL) == SIPCREDS_OK, "open");
    sipcreds_status st = sipcreds_registry_create_token(reg, "acme", "write", "ci", &out);
    char token[128], id[64];
    extract(out, "token", token, sizeof token);
    extract(out, "id", id, sizeof id);
    CHECK(st == SIPCREDS_OK && strncmp(token, "sct_", 4) == 0 && strlen(token) == 47, "create_token: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_create_token(reg, "acme", "read", NULL, &out);
    CHECK(st == SIPCREDS_OK && contains(out, "\"name\":null"), "unnamed token: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_list_tokens(reg, "acme", &out);
    CHECK(st == SIPCREDS_OK && contains(out, id) && !contains(out, token) && contains(out, "\"role\":\"read\""),
          "list_tokens: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_create_token(reg, "acme", "admin", NULL, &out);
    CHECK(st == SIPCREDS_INVALID_OPTION && contains(out, "\"field\":\"role\""), "bad role: %u %s", st, out);
    sipcreds_string_free(seen(out));
    CHECK(sipcreds_registry_create_token(reg, "acme", NULL, NULL, &out) == SIPCREDS_NULL_ARGUMENT, "NULL role");
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_revoke_token(reg, "acme", id, &out);
    CHECK(st == SIPCREDS_OK && contains(out, id), "revoke: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_revoke_token(reg, "acme", id, &out);
    CHECK(st == SIPCREDS_NOT_FOUND, "revoke again: %u", st);
    sipcreds_string_free(seen(out));
    memset(token, 0, sizeof token);

    /* get_number and lint_input: a new member of a cpsKey group with another limit. */
    char cred[64];
    st = sipcreds_registry_create_credential(reg, "acme", "{\"server\":\"a.example.com\",\"cpsKey\":\"k\",\"cpsLimit\":5}", &out);
    extract(out, "id", cred, sizeof cred);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_link_number(reg, "acme", "+14155550100", cred, &out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_get_number(reg, "acme", "+14155550100", &out);
    CHECK(st == SIPCREDS_OK && contains(out, cred), "get_number: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_lint_input(reg, "acme", "{\"server\":\"b.example.com\",\"cpsKey\":\"k\",\"cpsLimit\":9}", NULL, &out);
    CHECK(st == SIPCREDS_OK && contains(out, "cps_group_conflict"), "lint_input: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_lint_input(reg, "acme", "{\"server\":\"a.example.com\",\"cpsKey\":\"k\",\"cpsLimit\":9}", cred, &out);
    CHECK(st == SIPCREDS_OK && !contains(out, "cps_group_conflict"), "lint_input in place: %s", out);
    sipcreds_string_free(seen(out));
    sipcreds_registry_free(reg);
}

/* Health over time (SPEC §13): a record, pause and resume with their events, pages. */
static void health(void) {
    sipcreds_registry *reg = NULL;
    char *out = NULL;
    char cred[64];
    CHECK(sipcreds_registry_open(NULL, &reg, NULL) == SIPCREDS_OK, "open");
    sipcreds_status st = sipcreds_registry_create_credential(reg, "acme", "{\"server\":\"a.example.com\"}", &out);
    extract(out, "id", cred, sizeof cred);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_health(reg, "acme", cred, &out);
    CHECK(st == SIPCREDS_OK && contains(out, "\"state\":\"unknown\"") && contains(out, cred), "health: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_pause(reg, "acme", cred, &out);
    CHECK(st == SIPCREDS_OK && contains(out, "\"state\":\"paused\""), "pause: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_resume(reg, "acme", cred, &out);
    CHECK(st == SIPCREDS_OK && contains(out, "\"state\":\"unknown\""), "resume: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_health_events(reg, "acme", cred, &out);
    CHECK(st == SIPCREDS_OK && contains(out, "\"to\":\"paused\"") && contains(out, "\"from\":\"paused\""),
          "health_events: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_health_list(reg, "acme", 10, NULL, &out);
    CHECK(st == SIPCREDS_OK && contains(out, cred) && contains(out, "\"next\":null"), "health_list: %s", out);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_health_list(reg, "acme", 0, NULL, &out);
    CHECK(st == SIPCREDS_INVALID_OPTION, "health_list limit 0: %u", st);
    sipcreds_string_free(seen(out));
    st = sipcreds_registry_health(reg, "globex", cred, &out);
    CHECK(st == SIPCREDS_NOT_FOUND, "another org: %u", st);
    sipcreds_string_free(seen(out));
    CHECK(sipcreds_registry_pause(reg, "acme", NULL, &out) == SIPCREDS_NULL_ARGUMENT, "NULL id");
    sipcreds_string_free(seen(out));
    sipcreds_registry_free(reg);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s VECTORS_FILE DB_DIR\n", argv[0]);
        return 2;
    }
    test_vectors(argv[1]);
    scenario(NULL);
    char db[4096];
    snprintf(db, sizeof db, "%s/sipcreds.db", argv[2]);
    scenario(db);
    null_and_garbage();
    threads();
    locations();
    pages();
    probe();
    probe_all();
    tokens();
    health();
    printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
