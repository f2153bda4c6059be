/* Instance cgroups (see cgroup.h). */
#include "vaas/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PATH_LEN 4096

struct ccf_vaas_cgroup {
    bool v2;
    char dir[2][PATH_LEN];   /* v2: dir[0]; v1: memory, pids */
    char procs[2][PATH_LEN]; /* their cgroup.procs */
    const char *procs_list[2];
    size_t n;
};

static const char *root(void)
{
    const char *r = getenv("CCF_CGROUP_ROOT");
    return r != NULL && r[0] != '\0' ? r : "/sys/fs/cgroup";
}

/* VaaS's own cgroup path in the hierarchy of `controller` (v1; "" = the
 * unified one), from /proc/self/cgroup, into buf. */
static bool own_path(const char *controller, char *buf, size_t size)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    char line[PATH_LEN];
    bool found = false;
    if (f == NULL)
        return false;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        bool match;
        if (controller[0] == '\0') {
            match = ctrls[0] == '\0';
        } else { /* "cpu,cpuacct": one of the comma-separated names */
            size_t cl = strlen(controller);
            match = false;
            for (const char *p = ctrls; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
                if (strncmp(p, controller, cl) == 0 && (p[cl] == ',' || p[cl] == '\0'))
                    match = true;
        }
        if (match)
            found = snprintf(buf, size, "%s", strcmp(path, "/") == 0 ? "" : path) < (int)size;
    }
    fclose(f);
    return found;
}

static ccf_err write_file(const char *path, const char *text, char *err, size_t err_size)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED, "%s: %s", path, strerror(errno));
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    if (n != (ssize_t)strlen(text))
        return ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED, "%s: %s", path,
                        n < 0 ? strerror(e) : "short write");
    return CCF_OK;
}

/* One directory: made, its limit written, its cgroup.procs path kept. */
static ccf_err make_dir(ccf_vaas_cgroup *cg, const char *base, const char *name,
                        const char *limit_file, const char *limit, char *err, size_t err_size)
{
    char *dir = cg->dir[cg->n], file[PATH_LEN + 32];
    if (snprintf(dir, PATH_LEN, "%s/%s", base, name) >= PATH_LEN)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "cgroup path too long");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        int e = errno;
        dir[0] = '\0';
        return ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED, "cannot make the cgroup %s: %s",
                        dir, strerror(e));
    }
    if (snprintf(cg->procs[cg->n], PATH_LEN, "%s/%s/cgroup.procs", base, name) >= PATH_LEN) {
        rmdir(dir);
        dir[0] = '\0';
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "cgroup path too long");
    }
    cg->procs_list[cg->n] = cg->procs[cg->n];
    cg->n++; /* counted now: free removes it whatever follows */
    if (limit_file != NULL) {
        snprintf(file, sizeof file, "%s/%s", dir, limit_file);
        return write_file(file, limit, err, err_size);
    }
    return CCF_OK;
}

/* The unified hierarchy, when VaaS's cgroup hands memory and pids to its
 * children (cgroup.subtree_control lists both). */
static ccf_err try_v2(ccf_vaas_cgroup *cg, const char *name, uint64_t mem, unsigned pids,
                      char *err, size_t err_size)
{
    char own[PATH_LEN], base[PATH_LEN * 2], file[PATH_LEN * 2 + 32], ctl[256] = "";
    char num[32];
    if (!own_path("", own, sizeof own))
        return ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED, "no unified cgroup hierarchy");
    snprintf(base, sizeof base, "%s%s", root(), own);
    snprintf(file, sizeof file, "%s/cgroup.subtree_control", base);
    FILE *f = fopen(file, "re");
    if (f != NULL) {
        if (fgets(ctl, sizeof ctl, f) == NULL)
            ctl[0] = '\0';
        fclose(f);
    }
    if (strstr(ctl, "memory") == NULL || strstr(ctl, "pids") == NULL)
        return ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED,
                        "cgroup v2: %s does not delegate memory and pids to its children", base);
    cg->v2 = true;
    snprintf(num, sizeof num, "%u", pids);
    ccf_err rc = make_dir(cg, base, name, "pids.max", num, err, err_size);
    if (rc == CCF_OK && mem > 0) {
        snprintf(file, sizeof file, "%s/memory.max", cg->dir[0]);
        snprintf(num, sizeof num, "%llu", (unsigned long long)mem);
        rc = write_file(file, num, err, err_size);
    }
    return rc;
}

/* cgroup v1: the memory and pids hierarchies. */
static ccf_err try_v1(ccf_vaas_cgroup *cg, const char *name, uint64_t mem, unsigned pids,
                      char *err, size_t err_size)
{
    char own[PATH_LEN], base[PATH_LEN * 2], num[32];
    ccf_err rc;
    if (!own_path("memory", own, sizeof own))
        return ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED, "no cgroup v1 memory hierarchy");
    snprintf(base, sizeof base, "%s/memory%s", root(), own);
    snprintf(num, sizeof num, "%llu", (unsigned long long)mem);
    if ((rc = make_dir(cg, base, name, mem > 0 ? "memory.limit_in_bytes" : NULL, num, err,
                       err_size)) != CCF_OK)
        return rc;
    if (!own_path("pids", own, sizeof own))
        return ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED, "no cgroup v1 pids hierarchy");
    snprintf(base, sizeof base, "%s/pids%s", root(), own);
    snprintf(num, sizeof num, "%u", pids);
    return make_dir(cg, base, name, "pids.max", num, err, err_size);
}

ccf_err ccf_vaas_cgroup_new(const char *instance_id, uint64_t memory_bytes, unsigned pids,
                            ccf_vaas_cgroup **out, char *err, size_t err_size)
{
    char name[300], why2[256];
    ccf_vaas_cgroup *cg = calloc(1, sizeof *cg);
    *out = NULL;
    if (cg == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    /* the pid keeps two VaaS processes on one host apart */
    snprintf(name, sizeof name, "ccfaas-%s-%ld", instance_id, (long)getpid());
    ccf_err rc = try_v2(cg, name, memory_bytes, pids, why2, sizeof why2);
    if (rc != CCF_OK && cg->n == 0) { /* no v2 delegation: v1 */
        cg->v2 = false;
        char why1[256];
        rc = try_v1(cg, name, memory_bytes, pids, why1, sizeof why1);
        if (rc != CCF_OK)
            ccf_errf(err, err_size, rc, "%s (and %s)", why1, why2);
    } else if (rc != CCF_OK) {
        ccf_errf(err, err_size, rc, "%s", why2);
    }
    if (rc != CCF_OK) {
        ccf_vaas_cgroup_free(cg);
        return rc;
    }
    *out = cg;
    return CCF_OK;
}

const char *ccf_vaas_cgroup_kind(const ccf_vaas_cgroup *cg)
{
    return cg->v2 ? "v2" : "v1";
}

const char *const *ccf_vaas_cgroup_procs(const ccf_vaas_cgroup *cg, size_t *n)
{
    *n = cg->n;
    return cg->procs_list;
}

ccf_err ccf_vaas_cgroup_add(const ccf_vaas_cgroup *cg, long pid, char *err, size_t err_size)
{
    char num[32];
    snprintf(num, sizeof num, "%ld", pid);
    for (size_t i = 0; i < cg->n; i++) {
        ccf_err rc = write_file(cg->procs[i], num, err, err_size);
        if (rc != CCF_OK)
            return rc;
    }
    return CCF_OK;
}

void ccf_vaas_cgroup_free(ccf_vaas_cgroup *cg)
{
    if (cg == NULL)
        return;
    for (size_t i = 0; i < cg->n; i++) {
        if (cg->dir[i][0] == '\0')
            continue;
        /* the instance's last tasks may still be exiting (EBUSY): a moment */
        for (int tries = 0; rmdir(cg->dir[i]) != 0 && errno == EBUSY && tries < 100; tries++) {
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    free(cg);
}
