/* The result-shape vectors (tests/vectors/results.json, via make_results.py) through the C
 * ABI: each step on one in-memory registry, its out_json (the result or the §8 error) with
 * the scenario's ids written as $cred1/$agent1/$prov1 and timestamps as $time, compared byte
 * for byte with what every surface answers. */
#include <sipcreds.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IDS 64

static char known_id[MAX_IDS][48];
static char known_ph[MAX_IDS][16];
static int n_known = 0;

static char *dup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    memcpy(d, s, n);
    return d;
}

static bool ulid_char(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); }

static void learn(const char *text) {
    static const char *prefixes[3] = {"cred_", "agent_", "prov_"};
    static const char *kinds[3] = {"cred", "agent", "prov"};
    size_t len = strlen(text);
    for (size_t i = 0; i < len; i++) {
        for (int k = 0; k < 3; k++) {
            size_t p = strlen(prefixes[k]);
            size_t end = i + p + 26;
            if (end > len || strncmp(text + i, prefixes[k], p) != 0) continue;
            bool ok = true;
            for (size_t j = i + p; j < end; j++) ok = ok && ulid_char(text[j]);
            if (!ok || (end < len && ulid_char(text[end]))) continue;
            char id[48];
            memcpy(id, text + i, end - i);
            id[end - i] = 0;
            bool seen = false;
            int same_kind = 0;
            for (int n = 0; n < n_known; n++) {
                if (strcmp(known_id[n], id) == 0) seen = true;
                char want[16];
                snprintf(want, sizeof want, "$%s", kinds[k]);
                if (strncmp(known_ph[n], want, strlen(want)) == 0 && ulid_char(known_ph[n][strlen(want)]) &&
                    known_ph[n][strlen(want)] <= '9')
                    same_kind++;
            }
            if (!seen && n_known < MAX_IDS) {
                strcpy(known_id[n_known], id);
                snprintf(known_ph[n_known], sizeof known_ph[0], "$%s%d", kinds[k], same_kind + 1);
                n_known++;
            }
        }
    }
}

/* A new string: s with every `from` replaced by `to`. */
static char *replace(const char *s, const char *from, const char *to) {
    size_t fl = strlen(from), tl = strlen(to), count = 0;
    for (const char *p = strstr(s, from); p; p = strstr(p + fl, from)) count++;
    char *out = malloc(strlen(s) + count * (tl > fl ? tl - fl : 0) + 1);
    char *w = out;
    const char *r = s;
    for (const char *p = strstr(r, from); p; p = strstr(r, from)) {
        memcpy(w, r, (size_t)(p - r));
        w += p - r;
        memcpy(w, to, tl);
        w += tl;
        r = p + fl;
    }
    strcpy(w, r);
    return out;
}

/* An argument with its placeholders replaced by the ids (longest placeholder first). */
static char *input(const char *arg) {
    char *s = dup(arg);
    for (size_t want = 15; want > 0; want--) {
        for (int n = 0; n < n_known; n++) {
            if (strlen(known_ph[n]) != want) continue;
            char *t = replace(s, known_ph[n], known_id[n]);
            free(s);
            s = t;
        }
    }
    return s;
}

static char *normalize(const char *text) {
    if (strncmp(text, "{\"error\"", 8) != 0) learn(text);
    char *s = dup(text);
    for (int n = 0; n < n_known; n++) {
        char *t = replace(s, known_id[n], known_ph[n]);
        free(s);
        s = t;
    }
    /* YYYY-MM-DDTHH:MM:SSZ -> $time */
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    size_t sl = sizeof shape - 1, len = strlen(s);
    char *out = malloc(len + 1);
    size_t w = 0;
    for (size_t i = 0; i < len;) {
        bool fits = i + sl <= len;
        for (size_t j = 0; fits && j < sl; j++)
            fits = shape[j] == 'd' ? (s[i + j] >= '0' && s[i + j] <= '9') : shape[j] == s[i + j];
        if (fits) {
            memcpy(out + w, "$time", 5);
            w += 5;
            i += sl;
        } else {
            out[w++] = s[i++];
        }
    }
    out[w] = 0;
    free(s);
    return out;
}

static char *read_chunk(FILE *f) {
    size_t n;
    if (fscanf(f, "%zu", &n) != 1 || fgetc(f) != '\n') return NULL;
    char *b = malloc(n + 1);
    if (fread(b, 1, n, f) != n) {
        free(b);
        return NULL;
    }
    b[n] = 0;
    fgetc(f);
    return b;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s results.txt\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    struct sipcreds_registry *reg = NULL;
    char *err = NULL;
    if (sipcreds_registry_open(NULL, &reg, &err) != SIPCREDS_OK) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    char op[64];
    int steps = 0, failures = 0;
    while (fscanf(f, "%63s", op) == 1) {
        int nargs;
        if (fscanf(f, "%d", &nargs) != 1 || fgetc(f) != '\n' || nargs > 4) return 2;
        char *a[4] = {0};
        for (int i = 0; i < nargs; i++) {
            char *raw = read_chunk(f);
            if (!raw) return 2;
            a[i] = input(raw);
            free(raw);
        }
        char *expect = read_chunk(f);
        if (!expect) return 2;
        char *out = NULL;
        if (strcmp(op, "create_credential") == 0) sipcreds_registry_create_credential(reg, a[0], a[1], &out);
        else if (strcmp(op, "get_credential") == 0) sipcreds_registry_get_credential(reg, a[0], a[1], &out);
        else if (strcmp(op, "update_credential") == 0) sipcreds_registry_update_credential(reg, a[0], a[1], a[2], &out);
        else if (strcmp(op, "usage") == 0) sipcreds_registry_usage(reg, a[0], a[1], &out);
        else if (strcmp(op, "delete_credential") == 0)
            sipcreds_registry_delete_credential(reg, a[0], a[1], strcmp(a[2], "true") == 0, &out);
        else if (strcmp(op, "link_number") == 0) sipcreds_registry_link_number(reg, a[0], a[1], a[2], &out);
        else if (strcmp(op, "unlink_number") == 0) sipcreds_registry_unlink_number(reg, a[0], a[1], &out);
        else if (strcmp(op, "delete_number") == 0) sipcreds_registry_delete_number(reg, a[0], a[1], &out);
        else if (strcmp(op, "create_agent") == 0) sipcreds_registry_create_agent(reg, a[0], a[1], &out);
        else if (strcmp(op, "get_agent") == 0) sipcreds_registry_get_agent(reg, a[0], a[1], &out);
        else if (strcmp(op, "assign_number") == 0) sipcreds_registry_assign_number(reg, a[0], a[1], a[2], &out);
        else if (strcmp(op, "delete_agent") == 0) sipcreds_registry_delete_agent(reg, a[0], a[1], &out);
        else if (strcmp(op, "connect_provider") == 0)
            sipcreds_registry_connect_provider(reg, a[0], a[1], a[2], a[3], &out);
        else if (strcmp(op, "delete_provider") == 0) sipcreds_registry_delete_provider(reg, a[0], a[1], &out);
        else {
            fprintf(stderr, "unknown op %s\n", op);
            return 2;
        }
        steps++;
        char *got = normalize(out ? out : "");
        if (strcmp(got, expect) != 0) {
            failures++;
            fprintf(stderr, "step %d (%s):\n   want %s\n   got  %s\n", steps, op, expect, got);
        }
        free(got);
        sipcreds_string_free(out);
        free(expect);
        for (int i = 0; i < nargs; i++) free(a[i]);
    }
    fclose(f);
    sipcreds_registry_free(reg);
    printf("result vectors through C: %d steps, %d failures\n", steps, failures);
    return failures == 0 && steps >= 30 ? 0 : 1;
}
