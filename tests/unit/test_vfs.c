/* Unit tests for the capability file system (src/wasi/vfs): the rules of
 * docs/rights.md, quotas, path resolution, and that refusals change nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/rights.h"
#include "wasi/vfs.h"

#define READ 8198u    /* FD_READ|FD_SEEK|PATH_OPEN */
#define WRITE 533572u /* FD_SEEK|FD_WRITE|PATH_CREATE_FILE|PATH_OPEN|PATH_FILESTAT_SET_SIZE */

static ccf_vfs *vfs_with(const char *path, const char *content)
{
    ccf_vfs *vfs = ccf_vfs_new(NULL);
    assert_non_null(vfs);
    if (path != NULL)
        assert_int_equal(ccf_vfs_put(vfs, NULL, path, content, strlen(content), false), 0);
    return vfs;
}

static void assert_content(ccf_vfs *vfs, const char *path, const char *want)
{
    uint8_t *data;
    size_t len;
    assert_int_equal(ccf_vfs_get(vfs, NULL, path, &data, &len), WASI_ESUCCESS);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(data, want, len);
    free(data);
}

static void test_resolve(void **state)
{
    (void)state;
    ccf_vfs *vfs = vfs_with("a/b/file", "x");
    char out[CCF_VFS_PATH_MAX];
#define RESOLVE(base, rel, follow) ccf_vfs_resolve(vfs, NULL, base, rel, strlen(rel), follow, out)
    assert_int_equal(RESOLVE("", "a/./b//file", true), 0);
    assert_string_equal(out, "a/b/file");
    assert_int_equal(RESOLVE("a/b", "../b/file", true), 0);
    assert_string_equal(out, "a/b/file");
    assert_int_equal(RESOLVE("a", "..", true), 0);
    assert_string_equal(out, "");
    assert_int_equal(RESOLVE("", "new-file", true), 0); /* need not exist */
    assert_string_equal(out, "new-file");
    assert_int_equal(RESOLVE("", "..", true), WASI_ENOTCAPABLE);
    assert_int_equal(RESOLVE("a", "../../x", true), WASI_ENOTCAPABLE);
    assert_int_equal(RESOLVE("", "/etc/passwd", true), WASI_ENOTCAPABLE);
    assert_int_equal(RESOLVE("", "", true), WASI_ENOENT);
    assert_int_equal(RESOLVE("", "missing/x", true), WASI_ENOENT);
    assert_int_equal(RESOLVE("", "a/b/file/x", true), WASI_ENOTDIR);
    assert_int_equal(RESOLVE("", "a/b/file/", true), WASI_ENOTDIR);
    assert_int_equal(ccf_vfs_resolve(vfs, NULL, "", "a\0b", 3, true, out), WASI_EINVAL);
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(RESOLVE("", longname, true), WASI_ENAMETOOLONG);
    /* symbolic links are followed inside the file system only */
    assert_int_equal(ccf_vfs_symlink(vfs, NULL, "a/b", "link"), 0);
    assert_int_equal(RESOLVE("", "link/file", false), 0);
    assert_string_equal(out, "a/b/file");
    assert_int_equal(RESOLVE("", "link", false), 0);
    assert_string_equal(out, "link");
    assert_int_equal(RESOLVE("", "link", true), 0);
    assert_string_equal(out, "a/b");
    assert_int_equal(ccf_vfs_symlink(vfs, NULL, "/etc", "abs"), 0);
    assert_int_equal(RESOLVE("", "abs/passwd", true), WASI_ENOTCAPABLE);
    assert_int_equal(ccf_vfs_symlink(vfs, NULL, "../..", "a/up"), 0);
    assert_int_equal(RESOLVE("", "a/up/x", true), WASI_ENOTCAPABLE);
    assert_int_equal(ccf_vfs_symlink(vfs, NULL, "loop2", "loop1"), 0);
    assert_int_equal(ccf_vfs_symlink(vfs, NULL, "loop1", "loop2"), 0);
    assert_int_equal(RESOLVE("", "loop1", true), WASI_ELOOP);
#undef RESOLVE
    ccf_vfs_free(vfs);
}

/* Resolution as a principal sees the tree: a file or directory it has no
 * rights on answers like a missing one (ENOENT), never ENOTDIR, and is never
 * walked through, so a program cannot probe for files hidden from it. */
static void test_resolve_hides_invisible(void **state)
{
    (void)state;
    ccf_vfs *vfs = vfs_with("secret", "s");
    char out[CCF_VFS_PATH_MAX];
    assert_int_equal(ccf_vfs_put(vfs, NULL, "hidden/inner", "h", 1, false), 0);
    assert_int_equal(ccf_vfs_put(vfs, NULL, "pub/file", "p", 1, false), 0);
    assert_int_equal(ccf_vfs_symlink(vfs, NULL, "../pub/file", "hidden/link"), WASI_ESUCCESS);
    ccf_file_right items[] = {{"pub/", READ}, {"new", WRITE}};
    ccf_file_rights p = {items, 2};
#define RESOLVE_AS(who, rel) ccf_vfs_resolve(vfs, who, "", rel, strlen(rel), true, out)
    /* the host sees everything */
    assert_int_equal(RESOLVE_AS(NULL, "secret/x"), WASI_ENOTDIR);
    assert_int_equal(RESOLVE_AS(NULL, "secret/"), WASI_ENOTDIR);
    assert_int_equal(RESOLVE_AS(NULL, "hidden/../pub/file"), WASI_ESUCCESS);
    assert_int_equal(RESOLVE_AS(NULL, "hidden/link"), WASI_ESUCCESS);
    assert_string_equal(out, "pub/file");
    /* the program sees only pub/ (and may create new) */
    assert_int_equal(RESOLVE_AS(&p, "secret/x"), WASI_ENOENT);
    assert_int_equal(RESOLVE_AS(&p, "missing/x"), WASI_ENOENT); /* the same answer */
    assert_int_equal(RESOLVE_AS(&p, "secret/"), WASI_ESUCCESS);  /* as for a missing name */
    assert_int_equal(RESOLVE_AS(&p, "hidden/../pub/file"), WASI_ENOENT);
    assert_int_equal(RESOLVE_AS(&p, "hidden/link"), WASI_ENOENT);
    assert_int_equal(RESOLVE_AS(&p, "pub/../pub/file"), WASI_ESUCCESS);
    assert_string_equal(out, "pub/file");
    assert_int_equal(RESOLVE_AS(&p, "new"), WASI_ESUCCESS);
#undef RESOLVE_AS
    ccf_vfs_free(vfs);
}

static void test_rights_and_visibility(void **state)
{
    (void)state;
    ccf_file_right items[] = {{"input-0", READ}, {"out/", WRITE}, {"out/log", CCF_FD_WRITE}};
    ccf_file_rights p = {items, 3};
    assert_int_equal(ccf_vfs_rights(&p, "input-0", false), READ);
    assert_int_equal(ccf_vfs_rights(&p, "out/x/y", false), WRITE);
    assert_int_equal(ccf_vfs_rights(&p, "out/log", false), CCF_FD_WRITE);
    assert_int_equal(ccf_vfs_rights(&p, "out", true), WRITE);
    assert_int_equal(ccf_vfs_rights(&p, "", true), READ | WRITE | CCF_FD_WRITE);
    assert_int_equal(ccf_vfs_rights(&p, "secret", false), 0);
    assert_int_equal(ccf_vfs_rights(NULL, "secret", false), CCF_RIGHTS_ALL);
    assert_true(ccf_vfs_visible(&p, "input-0", false));
    assert_false(ccf_vfs_visible(&p, "secret", false));
    assert_false(ccf_vfs_visible(&p, "input-0x", false));
    ccf_file_right deep[] = {{"d/e/f", READ}};
    ccf_file_rights q = {deep, 1};
    assert_true(ccf_vfs_visible(&q, "d", true)); /* on the way to d/e/f */
    assert_true(ccf_vfs_visible(&q, "d/e", true));
    assert_false(ccf_vfs_visible(&q, "d/e", false));
    assert_false(ccf_vfs_visible(&q, "e", true));
}

static void test_open_rules(void **state)
{
    (void)state;
    ccf_vfs *vfs = vfs_with("input-0", "data");
    assert_int_equal(ccf_vfs_put(vfs, NULL, "secret", "s", 1, false), 0);
    ccf_file_right items[] = {{"input-0", READ}, {"output", WRITE}, {"ro-new", READ},
                              {"noopen", CCF_FD_READ}};
    ccf_file_rights p = {items, 4};
    ccf_vfs_node *n = NULL;
    uint32_t r = 0;
    uint32_t nodes = ccf_vfs_nodes_used(vfs);

    assert_int_equal(ccf_vfs_open(vfs, &p, "input-0", 0, &n, &r), 0);
    assert_int_equal(r, READ);
    ccf_vfs_release(vfs, n);
    /* create needs PATH_CREATE_FILE: refused and nothing created */
    assert_int_equal(ccf_vfs_open(vfs, &p, "ro-new", WASI_O_CREAT, &n, &r), WASI_ENOTCAPABLE);
    assert_null(n);
    assert_int_equal(ccf_vfs_nodes_used(vfs), nodes);
    /* truncate needs PATH_FILESTAT_SET_SIZE: refused and content unchanged */
    assert_int_equal(ccf_vfs_open(vfs, &p, "input-0", WASI_O_TRUNC, &n, &r), WASI_ENOTCAPABLE);
    assert_content(vfs, "input-0", "data");
    /* open needs PATH_OPEN */
    assert_int_equal(ccf_vfs_put(vfs, NULL, "noopen", "z", 1, false), 0);
    assert_int_equal(ccf_vfs_open(vfs, &p, "noopen", 0, &n, &r), WASI_ENOTCAPABLE);
    /* a file without an entry does not exist for the principal */
    assert_int_equal(ccf_vfs_open(vfs, &p, "secret", 0, &n, &r), WASI_ENOENT);
    assert_int_equal(ccf_vfs_open(vfs, &p, "secret", WASI_O_CREAT | WASI_O_TRUNC, &n, &r),
                     WASI_ENOTCAPABLE);
    assert_content(vfs, "secret", "s");
    /* write rights create, truncate */
    assert_int_equal(ccf_vfs_open(vfs, &p, "output", WASI_O_CREAT, &n, &r), 0);
    assert_int_equal(ccf_vfs_node_write(vfs, n, 0, "hello", 5), 0);
    ccf_vfs_release(vfs, n);
    assert_int_equal(ccf_vfs_open(vfs, &p, "output", WASI_O_CREAT | WASI_O_EXCL, &n, &r),
                     WASI_EEXIST);
    assert_int_equal(ccf_vfs_open(vfs, &p, "output", WASI_O_TRUNC, &n, &r), 0);
    assert_int_equal(ccf_vfs_node_size(n), 0);
    ccf_vfs_release(vfs, n);
    assert_int_equal(ccf_vfs_open(vfs, &p, "missing", 0, &n, &r), WASI_ENOENT);
    assert_int_equal(ccf_vfs_open(vfs, &p, "input-0", WASI_O_DIRECTORY, &n, &r), WASI_ENOTDIR);
    ccf_vfs_free(vfs);
}

static void test_read_write_grow(void **state)
{
    (void)state;
    ccf_vfs *vfs = vfs_with("f", "abc");
    ccf_vfs_node *n;
    uint32_t r;
    char buf[16];
    size_t got;
    assert_int_equal(ccf_vfs_open(vfs, NULL, "f", 0, &n, &r), 0);
    assert_int_equal(ccf_vfs_node_write(vfs, n, 5, "Z", 1), 0); /* gap is zero-filled */
    assert_int_equal(ccf_vfs_node_size(n), 6);
    assert_int_equal(ccf_vfs_node_read(n, 0, buf, sizeof buf, &got), 0);
    assert_int_equal(got, 6);
    assert_memory_equal(buf, "abc\0\0Z", 6);
    assert_int_equal(ccf_vfs_node_read(n, 100, buf, sizeof buf, &got), 0);
    assert_int_equal(got, 0);
    assert_int_equal(ccf_vfs_node_truncate(vfs, n, 2), 0);
    assert_int_equal(ccf_vfs_bytes_used(vfs), 2);
    assert_int_equal(ccf_vfs_node_write(vfs, n, UINT64_MAX - 1, "xy", 2), WASI_EFBIG);
    ccf_vfs_release(vfs, n);
    ccf_vfs_free(vfs);
}

static void test_quotas(void **state)
{
    (void)state;
    ccf_vfs_limits lim = {.max_total_bytes = 100, .max_file_bytes = 60, .max_nodes = 4};
    ccf_vfs *vfs = ccf_vfs_new(&lim);
    char big[200] = {0};
    ccf_vfs_node *n;
    uint32_t r;
    assert_non_null(vfs);
    assert_int_equal(ccf_vfs_put(vfs, NULL, "a", big, 61, false), WASI_EFBIG);
    assert_int_equal(ccf_vfs_put(vfs, NULL, "a", big, 60, false), 0);
    assert_int_equal(ccf_vfs_put(vfs, NULL, "b", big, 41, false), WASI_ENOSPC);
    assert_int_equal(ccf_vfs_put(vfs, NULL, "b", big, 40, false), 0);
    assert_int_equal(ccf_vfs_bytes_used(vfs), 100);
    /* a failed write changes nothing */
    assert_int_equal(ccf_vfs_open(vfs, NULL, "b", 0, &n, &r), 0);
    assert_int_equal(ccf_vfs_node_write(vfs, n, 40, "x", 1), WASI_ENOSPC);
    assert_int_equal(ccf_vfs_node_size(n), 40);
    assert_int_equal(ccf_vfs_node_truncate(vfs, n, 61), WASI_EFBIG);
    ccf_vfs_release(vfs, n);
    /* the node count: root + a + b, one more allowed */
    assert_int_equal(ccf_vfs_mkdir(vfs, NULL, "d"), 0);
    assert_int_equal(ccf_vfs_mkdir(vfs, NULL, "e"), WASI_ENOSPC);
    /* freeing space makes room again */
    assert_int_equal(ccf_vfs_unlink(vfs, NULL, "a"), 0);
    assert_int_equal(ccf_vfs_bytes_used(vfs), 40);
    assert_int_equal(ccf_vfs_put(vfs, NULL, "c", big, 60, false), 0);
    ccf_vfs_free(vfs);
}

static bool collect(void *user, uint64_t next, uint64_t ino, uint8_t type, const char *name,
                    size_t len)
{
    (void)next;
    (void)ino;
    (void)type;
    char *acc = user; /* 256 bytes, see the callers */
    size_t used = strlen(acc);
    snprintf(acc + used, 256 - used, "%.*s ", (int)len, name);
    return true;
}

static void test_readdir_shows_only_visible(void **state)
{
    (void)state;
    ccf_vfs *vfs = vfs_with("public", "1");
    assert_int_equal(ccf_vfs_put(vfs, NULL, "hidden", "2", 1, false), 0);
    assert_int_equal(ccf_vfs_put(vfs, NULL, "dir/inner", "3", 1, false), 0);
    ccf_file_right items[] = {{"public", READ}, {"dir/inner", READ}};
    ccf_file_rights p = {items, 2};
    char names[256] = "";
    assert_int_equal(ccf_vfs_readdir(vfs, &p, "", 0, collect, names), 0);
    assert_string_equal(names, ". .. public dir ");
    names[0] = '\0';
    assert_int_equal(ccf_vfs_readdir(vfs, NULL, "", 2, collect, names), 0);
    assert_string_equal(names, "public hidden dir ");
    assert_int_equal(ccf_vfs_readdir(vfs, &p, "public", 0, collect, names), WASI_ENOTDIR);
    ccf_vfs_free(vfs);
}

/* Stops after the first entry, keeping its name and continuation cookie. */
struct first_entry {
    char name[64];
    uint64_t next;
};

static bool take_first(void *user, uint64_t next, uint64_t ino, uint8_t type, const char *name,
                       size_t len)
{
    struct first_entry *f = user;
    (void)ino;
    (void)type;
    snprintf(f->name, sizeof f->name, "%.*s", (int)len, name);
    f->next = next;
    return false;
}

/* A listing read one entry at a time, removing each entry it was given (as
 * Rust's remove_dir_all does): every entry is seen, none twice. Entries created
 * meanwhile come after the old ones; a renamed entry comes again at the end. */
static void test_readdir_cookies_survive_changes(void **state)
{
    (void)state;
    ccf_vfs *vfs = ccf_vfs_new(NULL);
    char name[32], seen[256] = "";
    struct first_entry f = {"", 0};
    uint64_t cookie = 2;
    assert_non_null(vfs);
    assert_int_equal(ccf_vfs_mkdir(vfs, NULL, "d"), 0);
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "d/f%d", i);
        assert_int_equal(ccf_vfs_put(vfs, NULL, name, "x", 1, false), 0);
    }
    assert_int_equal(ccf_vfs_readdir(vfs, NULL, "d", 0, take_first, &f), 0);
    assert_string_equal(f.name, ".");
    assert_int_equal(f.next, 1);
    for (;;) {
        f.name[0] = '\0';
        assert_int_equal(ccf_vfs_readdir(vfs, NULL, "d", cookie, take_first, &f), 0);
        if (f.name[0] == '\0')
            break;
        size_t used = strlen(seen);
        snprintf(seen + used, sizeof seen - used, "%s ", f.name);
        snprintf(name, sizeof name, "d/%s", f.name);
        assert_int_equal(ccf_vfs_unlink(vfs, NULL, name), 0);
        cookie = f.next;
        if (strcmp(f.name, "f1") == 0) /* created during the listing: listed at the end */
            assert_int_equal(ccf_vfs_put(vfs, NULL, "d/late", "y", 1, false), 0);
    }
    assert_string_equal(seen, "f0 f1 f2 f3 f4 late ");
    assert_int_equal(ccf_vfs_rmdir(vfs, NULL, "d"), 0);
    ccf_vfs_free(vfs);
}

/* ccf_vfs_lookup names the node at a path, and nothing once it is removed or
 * replaced: how a directory descriptor knows its directory is gone. */
static void test_lookup_follows_the_tree(void **state)
{
    (void)state;
    ccf_vfs *vfs = ccf_vfs_new(NULL);
    ccf_vfs_node *d, *open_d;
    uint32_t r;
    assert_non_null(vfs);
    assert_int_equal(ccf_vfs_mkdir(vfs, NULL, "d"), 0);
    assert_int_equal(ccf_vfs_open(vfs, NULL, "d", WASI_O_DIRECTORY, &open_d, &r), 0);
    d = ccf_vfs_lookup(vfs, "d");
    assert_ptr_equal(d, open_d);
    assert_null(ccf_vfs_lookup(vfs, "missing"));
    assert_int_equal(ccf_vfs_rename(vfs, NULL, "d", "e"), 0);
    assert_null(ccf_vfs_lookup(vfs, "d"));
    assert_ptr_equal(ccf_vfs_lookup(vfs, "e"), open_d);
    assert_int_equal(ccf_vfs_rmdir(vfs, NULL, "e"), 0);
    assert_int_equal(ccf_vfs_mkdir(vfs, NULL, "e"), 0);
    assert_ptr_not_equal(ccf_vfs_lookup(vfs, "e"), open_d); /* a new directory, same name */
    /* O_CREAT names a file: on a directory it is EISDIR, not an open */
    ccf_vfs_node *n = NULL;
    assert_int_equal(ccf_vfs_open(vfs, NULL, "e", WASI_O_CREAT, &n, &r), WASI_EISDIR);
    assert_null(n);
    ccf_vfs_release(vfs, open_d);
    ccf_vfs_free(vfs);
}

static void test_path_operations_need_their_bits(void **state)
{
    (void)state;
    ccf_vfs *vfs = vfs_with("f", "content");
    assert_int_equal(ccf_vfs_mkdir(vfs, NULL, "d"), 0);
    ccf_file_right none_items[] = {{"f", READ}, {"d/", READ}, {"g", READ}, {"l", READ}};
    ccf_file_rights none = {none_items, 4};
    ccf_file_right all_items[] = {{"f", CCF_RIGHTS_ALL}, {"d/", CCF_RIGHTS_ALL},
                                  {"g", CCF_RIGHTS_ALL}, {"l", CCF_RIGHTS_ALL}};
    ccf_file_rights all = {all_items, 4};
    ccf_vfs_stat st;
    char buf[8];
    size_t n;

    assert_int_equal(ccf_vfs_stat_path(vfs, &none, "f", &st), WASI_ENOTCAPABLE);
    assert_int_equal(ccf_vfs_stat_path(vfs, &all, "f", &st), 0);
    assert_int_equal(st.size, 7);
    assert_int_equal(st.filetype, WASI_FILETYPE_REGULAR_FILE);
    assert_int_equal(ccf_vfs_mkdir(vfs, &none, "d/sub"), WASI_ENOTCAPABLE);
    assert_int_equal(ccf_vfs_mkdir(vfs, &all, "d/sub"), 0);
    assert_int_equal(ccf_vfs_mkdir(vfs, &all, "d/sub"), WASI_EEXIST);
    assert_int_equal(ccf_vfs_rmdir(vfs, &all, "d"), WASI_ENOTEMPTY);
    assert_int_equal(ccf_vfs_rmdir(vfs, &none, "d/sub"), WASI_ENOTCAPABLE);
    assert_int_equal(ccf_vfs_rmdir(vfs, &all, "d/sub"), 0);
    assert_int_equal(ccf_vfs_rmdir(vfs, &all, "f"), WASI_ENOTDIR);
    assert_int_equal(ccf_vfs_unlink(vfs, &all, "d"), WASI_EISDIR);
    assert_int_equal(ccf_vfs_rename(vfs, &none, "f", "g"), WASI_ENOTCAPABLE);
    assert_content(vfs, "f", "content");
    assert_int_equal(ccf_vfs_rename(vfs, &all, "f", "g"), 0);
    assert_int_equal(ccf_vfs_stat_path(vfs, &all, "f", &st), WASI_ENOENT);
    assert_content(vfs, "g", "content");
    assert_int_equal(ccf_vfs_rename(vfs, &all, "d", "d/x"), WASI_EINVAL); /* into itself */
    assert_int_equal(ccf_vfs_link(vfs, &none, "g", "f"), WASI_ENOTCAPABLE);
    assert_int_equal(ccf_vfs_link(vfs, &all, "g", "f"), 0);
    assert_int_equal(ccf_vfs_stat_path(vfs, &all, "g", &st), 0);
    assert_int_equal(st.nlink, 2);
    assert_int_equal(ccf_vfs_symlink(vfs, &none, "g", "l"), WASI_ENOTCAPABLE);
    assert_int_equal(ccf_vfs_symlink(vfs, &all, "g", "l"), 0);
    assert_int_equal(ccf_vfs_readlink(vfs, &none, "l", buf, sizeof buf, &n), WASI_ENOTCAPABLE);
    assert_int_equal(ccf_vfs_readlink(vfs, &all, "l", buf, sizeof buf, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ccf_vfs_readlink(vfs, &all, "g", buf, sizeof buf, &n), WASI_EINVAL);
    assert_int_equal(ccf_vfs_unlink(vfs, &none, "g"), WASI_ENOTCAPABLE);
    assert_int_equal(ccf_vfs_unlink(vfs, &all, "g"), 0);
    assert_content(vfs, "f", "content"); /* the other link */
    ccf_vfs_free(vfs);
}

static void test_unlinked_file_lives_while_open(void **state)
{
    (void)state;
    ccf_vfs *vfs = vfs_with("f", "still here");
    ccf_vfs_node *n;
    uint32_t r;
    char buf[16];
    size_t got;
    assert_int_equal(ccf_vfs_open(vfs, NULL, "f", 0, &n, &r), 0);
    assert_int_equal(ccf_vfs_unlink(vfs, NULL, "f"), 0);
    assert_int_equal(ccf_vfs_nodes_used(vfs), 2);
    assert_int_equal(ccf_vfs_node_read(n, 0, buf, sizeof buf, &got), 0);
    assert_memory_equal(buf, "still here", got);
    ccf_vfs_release(vfs, n);
    assert_int_equal(ccf_vfs_nodes_used(vfs), 1);
    assert_int_equal(ccf_vfs_bytes_used(vfs), 0);
    ccf_vfs_free(vfs);
}

/* The identities' whole-file operations follow the same rules. */
static void test_put_get_rules(void **state)
{
    (void)state;
    ccf_vfs *vfs = ccf_vfs_new(NULL);
    ccf_file_right owner_items[] = {{"input-0", WRITE}};
    ccf_file_rights owner = {owner_items, 1};
    ccf_file_right appender_items[] = {{"input-0", CCF_PATH_OPEN | CCF_FD_WRITE}};
    ccf_file_rights appender = {appender_items, 1};
    ccf_file_right reader_items[] = {{"input-0", READ}};
    ccf_file_rights reader = {reader_items, 1};
    uint8_t *data;
    size_t len;

    assert_int_equal(ccf_vfs_put(vfs, &reader, "input-0", "x", 1, false), WASI_ENOTCAPABLE);
    assert_int_equal(ccf_vfs_put(vfs, &appender, "input-0", "x", 1, true), WASI_ENOTCAPABLE);
    assert_int_equal(ccf_vfs_nodes_used(vfs), 1);
    assert_int_equal(ccf_vfs_put(vfs, &owner, "input-0", "abc", 3, false), 0);
    assert_int_equal(ccf_vfs_put(vfs, &appender, "input-0", "def", 3, true), 0);
    assert_int_equal(ccf_vfs_put(vfs, &appender, "input-0", "new", 3, false), WASI_ENOTCAPABLE);
    assert_int_equal(ccf_vfs_get(vfs, &owner, "input-0", &data, &len), WASI_ENOTCAPABLE);
    assert_int_equal(ccf_vfs_get(vfs, &reader, "input-0", &data, &len), 0);
    assert_int_equal(len, 6);
    assert_memory_equal(data, "abcdef", 6);
    free(data);
    assert_int_equal(ccf_vfs_put(vfs, &owner, "other", "x", 1, false), WASI_ENOTCAPABLE);
    /* empty files and empty writes */
    assert_int_equal(ccf_vfs_put(vfs, &owner, "input-0", NULL, 0, false), 0);
    assert_int_equal(ccf_vfs_get(vfs, &reader, "input-0", &data, &len), 0);
    assert_int_equal(len, 0);
    free(data);
    assert_int_equal(ccf_vfs_get(vfs, &reader, "other", &data, &len), WASI_ENOENT);
    ccf_vfs_free(vfs);
}

/* Reading in place: open_read checks rights like get, the node outlives a
 * replacement of its name's content only as far as the generation says. */
static void test_open_read_and_generation(void **state)
{
    (void)state;
    ccf_vfs *vfs = vfs_with("input-0", "data");
    ccf_file_right items[] = {{"input-0", READ}, {"output", WRITE}};
    ccf_file_rights p = {items, 2};
    ccf_vfs_node *n = NULL;
    uint64_t size = 0, gen;
    const uint8_t *bytes;

    assert_int_equal(ccf_vfs_open_read(vfs, &p, "output", &n), WASI_ENOENT);
    assert_int_equal(ccf_vfs_put(vfs, NULL, "output", "o", 1, false), 0);
    assert_int_equal(ccf_vfs_open_read(vfs, &p, "output", &n), WASI_ENOTCAPABLE); /* write-only */
    assert_null(n);
    assert_int_equal(ccf_vfs_open_read(vfs, &p, "secret", &n), WASI_ENOENT);
    assert_int_equal(ccf_vfs_open_read(vfs, &p, "input-0", &n), 0);
    bytes = ccf_vfs_node_bytes(n, &size);
    assert_int_equal(size, 4);
    assert_memory_equal(bytes, "data", 4);
    gen = ccf_vfs_node_generation(n);
    assert_int_equal(ccf_vfs_put(vfs, NULL, "input-0", "new!", 4, false), 0); /* replace */
    assert_true(ccf_vfs_node_generation(n) != gen);
    gen = ccf_vfs_node_generation(n);
    assert_int_equal(ccf_vfs_node_write(vfs, n, 0, "N", 1), 0);
    assert_true(ccf_vfs_node_generation(n) != gen);
    gen = ccf_vfs_node_generation(n);
    assert_int_equal(ccf_vfs_node_truncate(vfs, n, 2), 0);
    assert_true(ccf_vfs_node_generation(n) != gen);
    gen = ccf_vfs_node_generation(n);
    assert_int_equal(ccf_vfs_node_set_times(n, 1, 1, WASI_FST_ATIM | WASI_FST_MTIM), 0);
    assert_int_equal(ccf_vfs_node_generation(n), gen); /* times are not content */
    bytes = ccf_vfs_node_bytes(n, &size);
    assert_int_equal(size, 2);
    assert_memory_equal(bytes, "Ne", 2);
    ccf_vfs_release(vfs, n);
    assert_content(vfs, "input-0", "Ne");
    ccf_vfs_free(vfs);
}

/* ccf_vfs_room: the limits a put would meet, before its bytes exist. */
static void test_room(void **state)
{
    (void)state;
    ccf_vfs_limits l = {.max_total_bytes = 100, .max_file_bytes = 60};
    ccf_vfs *vfs = ccf_vfs_new(&l);
    assert_non_null(vfs);
    assert_int_equal(ccf_vfs_room(vfs, "a", 60, false), 0);
    assert_int_equal(ccf_vfs_room(vfs, "a", 61, false), WASI_EFBIG);
    assert_int_equal(ccf_vfs_put(vfs, NULL, "a", "0123456789", 10, false), 0);
    assert_int_equal(ccf_vfs_room(vfs, "a", 50, true), 0);
    assert_int_equal(ccf_vfs_room(vfs, "a", 51, true), WASI_EFBIG);
    char big[50] = {0};
    assert_int_equal(ccf_vfs_put(vfs, NULL, "b", big, sizeof big, false), 0); /* 60 of 100 used */
    assert_int_equal(ccf_vfs_room(vfs, "c", 40, false), 0);
    assert_int_equal(ccf_vfs_room(vfs, "c", 41, false), WASI_ENOSPC);
    assert_int_equal(ccf_vfs_room(vfs, "a", 50, false), 0); /* replacing a's 10 bytes frees them */
    assert_int_equal(ccf_vfs_room(vfs, "a", 51, false), WASI_ENOSPC);
    ccf_vfs_free(vfs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_resolve_hides_invisible),
        cmocka_unit_test(test_rights_and_visibility),
        cmocka_unit_test(test_open_rules),
        cmocka_unit_test(test_read_write_grow),
        cmocka_unit_test(test_quotas),
        cmocka_unit_test(test_readdir_shows_only_visible),
        cmocka_unit_test(test_readdir_cookies_survive_changes),
        cmocka_unit_test(test_lookup_follows_the_tree),
        cmocka_unit_test(test_path_operations_need_their_bits),
        cmocka_unit_test(test_unlinked_file_lives_while_open),
        cmocka_unit_test(test_put_get_rules),
        cmocka_unit_test(test_open_read_and_generation),
        cmocka_unit_test(test_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
