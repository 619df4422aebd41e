/* SPDX-License-Identifier: MIT */
/*
 * The real operations of win_ops.h, Win32 only. NOT VERIFIED ON WINDOWS: this file has been
 * compiled with mingw-w64 and nothing more (Wine fakes every security effect it has);
 * tests/windows/README.md is the runbook that checks it on a real host.
 */
#ifndef _WIN32
#error "win_ops_real.c is the Win32 table; the tests use tests/windows/fake_ops.c"
#endif
#define WIN32_LEAN_AND_MEAN
#define COBJMACROS
#include <windows.h>
#include <aclapi.h>
#include <bcrypt.h>
#include <lm.h>
#include <sddl.h>
#include <wincrypt.h>
#include <initguid.h> /* the netfw GUIDs are not in libuuid.a: defined in this one unit */
#include <netfw.h>

#include "win_ops_real.h"
#include "win_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int map_error(DWORD e) {
        switch (e) {
        case ERROR_SUCCESS:
                return 0;
        case ERROR_ACCESS_DENIED:
        case ERROR_PRIVILEGE_NOT_HELD:
                return -EACCES;
        case ERROR_FILE_NOT_FOUND:
        case ERROR_PATH_NOT_FOUND:
        case ERROR_NONE_MAPPED:
        case NERR_UserNotFound:
        case NERR_GroupNotFound:
        case ERROR_NO_SUCH_ALIAS:
                return -ENOENT;
        case ERROR_ALREADY_EXISTS:
        case NERR_UserExists:
        case NERR_GroupExists:
        case ERROR_ALIAS_EXISTS:
        case ERROR_MEMBER_IN_ALIAS:
                return -EEXIST;
        case ERROR_NOT_ENOUGH_MEMORY:
        case ERROR_OUTOFMEMORY:
                return -ENOMEM;
        case ERROR_INVALID_PARAMETER:
                return -EINVAL;
        default:
                return -EIO;
        }
}

static int fail(DWORD e, char *err, size_t size, const char *what, const char *name) {
        if (err && size)
                snprintf(err, size, "%s %s: Windows error %lu", what, name ? name : "", (unsigned long) e);
        /* a call that failed without saying why (Wine's stubs: error 0) is still a failure */
        return e == ERROR_SUCCESS ? -EIO : map_error(e);
}

static wchar_t *wide(const char *s) {
        if (!s)
                return NULL;
        int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
        if (n <= 0)
                return NULL;
        wchar_t *w = malloc((size_t) n * sizeof(wchar_t));
        if (w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
                free(w);
                return NULL;
        }
        return w;
}

static char *narrow(const wchar_t *w) {
        int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, -1, NULL, 0, NULL, NULL);
        if (n <= 0)
                return NULL;
        char *s = malloc((size_t) n);
        if (s && WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, -1, s, n, NULL, NULL) != n) {
                free(s);
                return NULL;
        }
        return s;
}

static wchar_t *wide_path(const char *plan_path) {
        char *p = NULL;
        if (bw_win_path_from_plan(plan_path, &p) < 0)
                return NULL;
        wchar_t *w = wide(p);
        free(p);
        return w;
}

/* ---- objects ---- */

static int r_final_path(void *ctx, const char *path, char **ret, char *err, size_t es) {
        (void) ctx;
        *ret = NULL;
        wchar_t *w = wide_path(path);
        if (!w)
                return fail(ERROR_INVALID_PARAMETER, err, es, "not a Windows path:", path);
        /* every reparse point followed: the object itself, wherever its name leads */
        HANDLE h = CreateFileW(w, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                               OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
        free(w);
        if (h == INVALID_HANDLE_VALUE)
                return fail(GetLastError(), err, es, "opening", path);
        wchar_t *final = malloc(32768 * sizeof(wchar_t));
        DWORD n = final ? GetFinalPathNameByHandleW(h, final, 32768, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS) : 0;
        DWORD e = GetLastError();
        CloseHandle(h);
        if (n == 0 || n >= 32768) {
                free(final);
                return fail(e, err, es, "reading the final path of", path);
        }
        char *s = narrow(final);
        free(final);
        const char *why = NULL;
        int r = s ? bw_win_path_to_plan(s, ret, &why) : -ENOMEM;
        if (r < 0 && err && es)
                snprintf(err, es, "%s: its final path %s is not a drive-letter path (%s)", path, s ? s : "?",
                         why ? why : "");
        free(s);
        return r < 0 ? -EINVAL : 0;
}

static int r_open(void *ctx, const char *path, bool write, bw_win_handle *ret, struct bw_win_object_info *info,
                  char *err, size_t es) {
        (void) ctx;
        wchar_t *w = wide_path(path);
        if (!w)
                return fail(ERROR_INVALID_PARAMETER, err, es, "not a Windows path:", path);
        /* The last component is never followed (OPEN_REPARSE_POINT); a reparse point on the way
         * is caught below by comparing the final path with the one asked for. */
        HANDLE h = CreateFileW(w, READ_CONTROL | (write ? WRITE_DAC : 0) | FILE_READ_ATTRIBUTES,
                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                               FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
        if (h == INVALID_HANDLE_VALUE) {
                DWORD e = GetLastError();
                free(w);
                return fail(e, err, es, "opening", path);
        }
        BY_HANDLE_FILE_INFORMATION bhfi;
        wchar_t final[32768];
        DWORD n = GetFinalPathNameByHandleW(h, final, 32768, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
        if (!GetFileInformationByHandle(h, &bhfi) || n == 0 || n >= 32768) {
                DWORD e = GetLastError();
                CloseHandle(h);
                free(w);
                return fail(e, err, es, "reading the identity of", path);
        }
        /* \\?\C:\a\b asked, \\?\C:\a\b got (case aside): no junction on the way */
        if (CompareStringOrdinal(final, -1, w, -1, TRUE) != CSTR_EQUAL) {
                CloseHandle(h);
                free(w);
                if (err && es)
                        snprintf(err, es, "%s is reached through a junction or symbolic link on its way", path);
                return -ELOOP;
        }
        free(w);
        *info = (struct bw_win_object_info){
                .directory = (bhfi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0,
                .reparse = (bhfi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0,
                .file_id = (uint64_t) bhfi.nFileIndexHigh << 32 | bhfi.nFileIndexLow,
        };
        *ret = (bw_win_handle) h;
        return 0;
}

static void r_close(void *ctx, bw_win_handle h) {
        (void) ctx;
        if (h)
                CloseHandle((HANDLE) h);
}

static int r_get_sd(void *ctx, bw_win_handle h, uint8_t **ret, size_t *ret_n, char *err, size_t es) {
        (void) ctx;
        PSECURITY_DESCRIPTOR sd = NULL;
        DWORD e = GetSecurityInfo((HANDLE) h, SE_FILE_OBJECT,
                                  OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                                  NULL, NULL, NULL, NULL, &sd);
        if (e != ERROR_SUCCESS)
                return fail(e, err, es, "GetSecurityInfo", "");
        DWORD n = GetSecurityDescriptorLength(sd);
        uint8_t *copy = malloc(n);
        if (!copy) {
                LocalFree(sd);
                return -ENOMEM;
        }
        memcpy(copy, sd, n); /* GetSecurityInfo returns the self-relative form */
        LocalFree(sd);
        *ret = copy;
        *ret_n = n;
        return 0;
}

static int r_set_dacl(void *ctx, bw_win_handle h, const uint8_t *sd, size_t n, char *err, size_t es) {
        (void) ctx;
        (void) n;
        BOOL present = FALSE, defaulted = FALSE;
        PACL dacl = NULL;
        SECURITY_DESCRIPTOR_CONTROL control = 0;
        DWORD revision;
        PSECURITY_DESCRIPTOR psd = (PSECURITY_DESCRIPTOR) (uintptr_t) sd;
        if (!IsValidSecurityDescriptor(psd) || !GetSecurityDescriptorDacl(psd, &present, &dacl, &defaulted) ||
            !present || !dacl || !GetSecurityDescriptorControl(psd, &control, &revision))
                return fail(ERROR_INVALID_PARAMETER, err, es, "an invalid descriptor for", "SetSecurityInfo");
        SECURITY_INFORMATION si =
                DACL_SECURITY_INFORMATION | ((control & SE_DACL_PROTECTED) ? PROTECTED_DACL_SECURITY_INFORMATION
                                                                           : UNPROTECTED_DACL_SECURITY_INFORMATION);
        /* SetSecurityInfo drops the inherited entries given, recomputes them from the parent and
         * propagates the inheritable ones to everything below (the one slow step, once per apply). */
        DWORD e = SetSecurityInfo((HANDLE) h, SE_FILE_OBJECT, si, NULL, NULL, dacl, NULL);
        return e == ERROR_SUCCESS ? 0 : fail(e, err, es, "SetSecurityInfo", "");
}

static int r_list(void *ctx, const char *path, struct bw_win_dirent **ret, size_t *ret_n, char *err, size_t es) {
        (void) ctx;
        char *p = NULL, *pattern = NULL;
        if (bw_win_path_from_plan(path, &p) < 0 || asprintf(&pattern, "%s\\*", p) < 0) {
                free(p);
                return -EINVAL;
        }
        free(p);
        wchar_t *w = wide(pattern);
        free(pattern);
        if (!w)
                return -EINVAL;
        WIN32_FIND_DATAW fd;
        HANDLE h = FindFirstFileExW(w, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, FIND_FIRST_EX_LARGE_FETCH);
        free(w);
        if (h == INVALID_HANDLE_VALUE)
                return fail(GetLastError(), err, es, "listing", path);
        struct bw_win_dirent *ents = NULL;
        size_t n = 0, cap = 0;
        int r = 0;
        do {
                if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0)
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        struct bw_win_dirent *e = realloc(ents, cap * sizeof(*e));
                        if (!e) {
                                r = -ENOMEM;
                                break;
                        }
                        ents = e;
                }
                char *name = narrow(fd.cFileName);
                if (!name || strlen(name) >= sizeof(ents[n].name)) {
                        free(name);
                        continue; /* not representable: such a name matches no protected name */
                }
                strcpy(ents[n].name, name);
                free(name);
                ents[n].directory = (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
                ents[n].reparse = (fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
                n++;
        } while (FindNextFileW(h, &fd));
        FindClose(h);
        if (r < 0) {
                free(ents);
                return r;
        }
        *ret = ents;
        *ret_n = n;
        return 0;
}

/* ---- principals ---- */

static int r_user_add(void *ctx, const char *name, const char *pw, const char *comment, char *err, size_t es) {
        (void) ctx;
        wchar_t *wn = wide(name), *wp = wide(pw), *wc = wide(comment);
        USER_INFO_1 ui = {.usri1_name = wn,
                          .usri1_password = wp,
                          .usri1_priv = USER_PRIV_USER,
                          .usri1_comment = wc,
                          .usri1_flags = UF_SCRIPT | UF_DONT_EXPIRE_PASSWD | UF_PASSWD_CANT_CHANGE};
        NET_API_STATUS s = wn && wp && wc ? NetUserAdd(NULL, 1, (LPBYTE) &ui, NULL) : ERROR_INVALID_PARAMETER;
        if (wp)
                SecureZeroMemory(wp, wcslen(wp) * sizeof(wchar_t));
        free(wn);
        free(wp);
        free(wc);
        return s == NERR_Success ? 0 : fail(s, err, es, "NetUserAdd", name);
}

static int r_user_del(void *ctx, const char *name, char *err, size_t es) {
        (void) ctx;
        wchar_t *w = wide(name);
        NET_API_STATUS s = w ? NetUserDel(NULL, w) : ERROR_INVALID_PARAMETER;
        free(w);
        return s == NERR_Success ? 0 : fail(s, err, es, "NetUserDel", name);
}

static int r_group_add(void *ctx, const char *name, const char *comment, char *err, size_t es) {
        (void) ctx;
        wchar_t *wn = wide(name), *wc = wide(comment);
        LOCALGROUP_INFO_1 gi = {.lgrpi1_name = wn, .lgrpi1_comment = wc};
        NET_API_STATUS s = wn && wc ? NetLocalGroupAdd(NULL, 1, (LPBYTE) &gi, NULL) : ERROR_INVALID_PARAMETER;
        free(wn);
        free(wc);
        return s == NERR_Success ? 0 : fail(s, err, es, "NetLocalGroupAdd", name);
}

static int r_group_del(void *ctx, const char *name, char *err, size_t es) {
        (void) ctx;
        wchar_t *w = wide(name);
        NET_API_STATUS s = w ? NetLocalGroupDel(NULL, w) : ERROR_INVALID_PARAMETER;
        free(w);
        return s == NERR_Success ? 0 : fail(s, err, es, "NetLocalGroupDel", name);
}

static int r_member(void *ctx, const char *group, const char *user, char *err, size_t es) {
        (void) ctx;
        wchar_t *wg = wide(group), *wu = wide(user);
        LOCALGROUP_MEMBERS_INFO_3 mi = {.lgrmi3_domainandname = wu};
        NET_API_STATUS s = wg && wu ? NetLocalGroupAddMembers(NULL, wg, 3, (LPBYTE) &mi, 1) : ERROR_INVALID_PARAMETER;
        free(wg);
        free(wu);
        return s == NERR_Success ? 0 : fail(s, err, es, "NetLocalGroupAddMembers", group);
}

/* Members come back as DOMAIN\NAME (level 3); a local account's domain is the machine's, and
 * account names compare without regard to case. */
static int r_has_member(void *ctx, const char *group, const char *user, char *err, size_t es) {
        (void) ctx;
        wchar_t *wg = wide(group), *wu = wide(user);
        int r = -EINVAL;
        if (wg && wu) {
                LPBYTE buf = NULL;
                DWORD read = 0, total = 0;
                NET_API_STATUS s =
                        NetLocalGroupGetMembers(NULL, wg, 3, &buf, MAX_PREFERRED_LENGTH, &read, &total, NULL);
                if (s != NERR_Success)
                        r = fail(s, err, es, "NetLocalGroupGetMembers", group);
                else {
                        r = 0;
                        LOCALGROUP_MEMBERS_INFO_3 *m = (LOCALGROUP_MEMBERS_INFO_3 *) buf;
                        for (DWORD i = 0; i < read && r == 0; i++) {
                                const wchar_t *n = m[i].lgrmi3_domainandname, *bs = n ? wcsrchr(n, L'\\') : NULL;
                                if (bs)
                                        n = bs + 1;
                                r = n && CompareStringOrdinal(n, -1, wu, -1, TRUE) == CSTR_EQUAL;
                        }
                }
                if (buf)
                        NetApiBufferFree(buf);
        }
        free(wg);
        free(wu);
        return r;
}

static int r_del_member(void *ctx, const char *group, const char *user, char *err, size_t es) {
        (void) ctx;
        wchar_t *wg = wide(group), *wu = wide(user);
        LOCALGROUP_MEMBERS_INFO_3 mi = {.lgrmi3_domainandname = wu};
        NET_API_STATUS s = wg && wu ? NetLocalGroupDelMembers(NULL, wg, 3, (LPBYTE) &mi, 1) : ERROR_INVALID_PARAMETER;
        free(wg);
        free(wu);
        if (s == ERROR_MEMBER_NOT_IN_ALIAS || s == NERR_GroupNotFound || s == ERROR_NO_SUCH_ALIAS)
                return -ENOENT;
        return s == NERR_Success ? 0 : fail(s, err, es, "NetLocalGroupDelMembers", group);
}

static int r_account_sid(void *ctx, const char *name, struct bw_win_sid *ret, char *comment, size_t cs) {
        (void) ctx;
        wchar_t *w = wide(name), domain[256];
        BYTE sid[SECURITY_MAX_SID_SIZE];
        DWORD sid_n = sizeof(sid), dom_n = 256;
        SID_NAME_USE use;
        if (!w)
                return -EINVAL;
        /* ".\name": the local machine's account, never a domain's of the same name */
        wchar_t qualified[300];
        _snwprintf(qualified, 300, L".\\%ls", w);
        qualified[299] = 0;
        BOOL ok = LookupAccountNameW(NULL, qualified, sid, &sid_n, domain, &dom_n, &use);
        DWORD e = ok ? 0 : GetLastError();
        if (!ok) {
                free(w);
                return map_error(e);
        }
        int r = bw_win_sid_decode(sid, GetLengthSid(sid), ret, NULL);
        if (r == 0 && comment && cs) {
                comment[0] = '\0';
                LPBYTE buf = NULL;
                NET_API_STATUS s =
                        use == SidTypeUser ? NetUserGetInfo(NULL, w, 1, &buf) : NetLocalGroupGetInfo(NULL, w, 1, &buf);
                if (s == NERR_Success && buf) {
                        char *c = narrow(use == SidTypeUser ? ((USER_INFO_1 *) buf)->usri1_comment
                                                            : ((LOCALGROUP_INFO_1 *) buf)->lgrpi1_comment);
                        if (c)
                                snprintf(comment, cs, "%s", c);
                        free(c);
                        NetApiBufferFree(buf);
                }
        }
        free(w);
        return r;
}

/* ---- firewall ---- */

/* The firewall's rules. *com: this call initialised COM on the thread (S_OK or S_FALSE), so
 * fw_done must uninitialise it; a thread already in another apartment mode (RPC_E_CHANGED_MODE)
 * is used as it is and left so. */
static HRESULT fw_rules(INetFwRules **ret, bool *com) {
        INetFwPolicy2 *policy = NULL;
        *ret = NULL;
        HRESULT hr = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
        *com = SUCCEEDED(hr);
        if (FAILED(hr) && hr != RPC_E_CHANGED_MODE)
                return hr;
        hr = CoCreateInstance(&CLSID_NetFwPolicy2, NULL, CLSCTX_INPROC_SERVER, &IID_INetFwPolicy2, (void **) &policy);
        if (SUCCEEDED(hr)) {
                hr = INetFwPolicy2_get_Rules(policy, ret);
                INetFwPolicy2_Release(policy);
        }
        return hr;
}

/* Release what fw_rules gave (every COM object of the call released before). */
static void fw_done(INetFwRules *rules, bool com) {
        if (rules)
                INetFwRules_Release(rules);
        if (com)
                CoUninitialize();
}

/* How many rules are named name (INetFwRules_Item gives only the first of several): through the
 * collection's enumerator. -1 when it cannot be read. */
static long fw_count_named(INetFwRules *rules, const wchar_t *name) {
        IUnknown *unk = NULL;
        IEnumVARIANT *en = NULL;
        long n = 0;
        if (FAILED(INetFwRules_get__NewEnum(rules, &unk)) || !unk)
                return -1;
        HRESULT hr = IUnknown_QueryInterface(unk, &IID_IEnumVARIANT, (void **) &en);
        IUnknown_Release(unk);
        if (FAILED(hr))
                return -1;
        for (;;) {
                VARIANT v;
                ULONG got = 0;
                VariantInit(&v);
                if (IEnumVARIANT_Next(en, 1, &v, &got) != S_OK || got != 1)
                        break;
                INetFwRule *r = NULL;
                BSTR b = NULL;
                if (V_VT(&v) == VT_DISPATCH && V_DISPATCH(&v) &&
                    SUCCEEDED(IDispatch_QueryInterface(V_DISPATCH(&v), &IID_INetFwRule, (void **) &r)) &&
                    SUCCEEDED(INetFwRule_get_Name(r, &b)) && b && wcscmp(b, name) == 0)
                        n++;
                SysFreeString(b);
                if (r)
                        INetFwRule_Release(r);
                VariantClear(&v);
        }
        IEnumVARIANT_Release(en);
        return n;
}

static int hr_fail(HRESULT hr, char *err, size_t es, const char *what, const char *name) {
        if (err && es)
                snprintf(err, es, "%s %s: HRESULT 0x%08lx", what, name, (unsigned long) hr);
        return hr == HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) ? -ENOENT : hr == E_ACCESSDENIED ? -EACCES : -EIO;
}

static int r_fw_add(void *ctx, const struct bw_win_fw_rule *rule, char *err, size_t es) {
        (void) ctx;
        INetFwRules *rules = NULL;
        INetFwRule3 *r = NULL;
        bool com = false;
        HRESULT hr = fw_rules(&rules, &com);
        if (SUCCEEDED(hr))
                hr = CoCreateInstance(&CLSID_NetFwRule, NULL, CLSCTX_INPROC_SERVER, &IID_INetFwRule3, (void **) &r);
        wchar_t *n = wide(rule->name), *d = wide(rule->description), *a = wide(rule->remote_addresses),
                *u = wide(rule->local_user_sddl);
        BSTR bn = n ? SysAllocString(n) : NULL, bd = d ? SysAllocString(d) : NULL, ba = a ? SysAllocString(a) : NULL,
             bu = u ? SysAllocString(u) : NULL;
        if (SUCCEEDED(hr) && (!bn || !bd || !ba || !bu))
                hr = E_OUTOFMEMORY;
        if (SUCCEEDED(hr))
                hr = INetFwRule3_put_Name(r, bn);
        if (SUCCEEDED(hr))
                hr = INetFwRule3_put_Description(r, bd);
        if (SUCCEEDED(hr))
                hr = INetFwRule3_put_Protocol(r, rule->protocol);
        if (SUCCEEDED(hr))
                hr = INetFwRule3_put_RemoteAddresses(r, ba);
        if (SUCCEEDED(hr))
                hr = INetFwRule3_put_Direction(r, rule->outbound ? NET_FW_RULE_DIR_OUT : NET_FW_RULE_DIR_IN);
        if (SUCCEEDED(hr))
                hr = INetFwRule3_put_Action(r, rule->block ? NET_FW_ACTION_BLOCK : NET_FW_ACTION_ALLOW);
        if (SUCCEEDED(hr))
                hr = INetFwRule3_put_Profiles(r, NET_FW_PROFILE2_ALL);
        if (SUCCEEDED(hr))
                hr = INetFwRule3_put_LocalUserAuthorizedList(r, bu);
        if (SUCCEEDED(hr))
                hr = INetFwRule3_put_Enabled(r, VARIANT_TRUE);
        if (SUCCEEDED(hr))
                hr = INetFwRules_Add(rules, (INetFwRule *) r);
        SysFreeString(bn);
        SysFreeString(bd);
        SysFreeString(ba);
        SysFreeString(bu);
        free(n);
        free(d);
        free(a);
        free(u);
        if (r)
                INetFwRule3_Release(r);
        fw_done(rules, com);
        return SUCCEEDED(hr) ? 0 : hr_fail(hr, err, es, "adding firewall rule", rule->name);
}

static int r_fw_remove(void *ctx, const char *name, char *err, size_t es) {
        (void) ctx;
        INetFwRules *rules = NULL;
        bool com = false;
        HRESULT hr = fw_rules(&rules, &com);
        wchar_t *n = wide(name);
        BSTR bn = n ? SysAllocString(n) : NULL;
        if (SUCCEEDED(hr))
                hr = bn ? INetFwRules_Remove(rules, bn) : E_OUTOFMEMORY;
        SysFreeString(bn);
        free(n);
        fw_done(rules, com);
        return SUCCEEDED(hr) ? 0 : hr_fail(hr, err, es, "removing firewall rule", name);
}

static void copy_bstr(char *out, size_t size, BSTR b) {
        out[0] = '\0';
        char *s = b ? narrow(b) : NULL;
        if (s)
                snprintf(out, size, "%s", s);
        free(s);
        SysFreeString(b);
}

/* Append "what: value" to the rule's narrowed list. */
static void narrowed_add(struct bw_win_fw_rule *r, const char *what, const char *value) {
        size_t n = strlen(r->narrowed);
        snprintf(r->narrowed + n, sizeof(r->narrowed) - n, "%s%s%s%s", n ? "; " : "", what, value[0] ? " " : "", value);
}

/* A string property that narrows the rule unless it is empty or one of the "any" values. */
static void narrowed_bstr(struct bw_win_fw_rule *r, const char *what, HRESULT hr, BSTR b, const char *any) {
        char v[200];
        if (FAILED(hr)) {
                narrowed_add(r, what, "(unreadable)");
                return;
        }
        copy_bstr(v, sizeof(v), b);
        if (v[0] && strcmp(v, "*") != 0 && (!any || _stricmp(v, any) != 0))
                narrowed_add(r, what, v);
}

/* Everything of the rule that bulwark's never sets and that would make it match less, or not at
 * all: a rule disabled, or limited to a profile, a port, a program, by hand, is not bulwark's
 * rule any more (drift). */
static void fw_narrowed(INetFwRule3 *r, struct bw_win_fw_rule *ret) {
        VARIANT_BOOL on = VARIANT_FALSE;
        LONG l = 0;
        BSTR b = NULL;
        VARIANT v;
        if (FAILED(INetFwRule3_get_Enabled(r, &on)) || on != VARIANT_TRUE)
                narrowed_add(ret, "disabled", "");
        if (FAILED(INetFwRule3_get_Profiles(r, &l)) || l != NET_FW_PROFILE2_ALL) {
                char x[32];
                snprintf(x, sizeof(x), "0x%lx", (unsigned long) l);
                narrowed_add(ret, "profiles", x);
        }
        b = NULL;
        narrowed_bstr(ret, "local ports", INetFwRule3_get_LocalPorts(r, &b), b, NULL);
        b = NULL;
        narrowed_bstr(ret, "remote ports", INetFwRule3_get_RemotePorts(r, &b), b, NULL);
        b = NULL;
        narrowed_bstr(ret, "local addresses", INetFwRule3_get_LocalAddresses(r, &b), b, NULL);
        b = NULL;
        narrowed_bstr(ret, "program", INetFwRule3_get_ApplicationName(r, &b), b, NULL);
        b = NULL;
        narrowed_bstr(ret, "service", INetFwRule3_get_ServiceName(r, &b), b, NULL);
        b = NULL;
        narrowed_bstr(ret, "interface types", INetFwRule3_get_InterfaceTypes(r, &b), b, "All");
        b = NULL;
        narrowed_bstr(ret, "remote users", INetFwRule3_get_RemoteUserAuthorizedList(r, &b), b, NULL);
        b = NULL;
        narrowed_bstr(ret, "remote machines", INetFwRule3_get_RemoteMachineAuthorizedList(r, &b), b, NULL);
        b = NULL;
        narrowed_bstr(ret, "package", INetFwRule3_get_LocalAppPackageId(r, &b), b, NULL);
        VariantInit(&v);
        if (FAILED(INetFwRule3_get_Interfaces(r, &v)) || v.vt != VT_EMPTY)
                narrowed_add(ret, "interfaces", "");
        VariantClear(&v);
        if (FAILED(INetFwRule3_get_SecureFlags(r, &l)) || l != 0)
                narrowed_add(ret, "IPsec flags", "");
}

static int r_fw_get(void *ctx, const char *name, struct bw_win_fw_rule *ret, char *err, size_t es) {
        (void) ctx;
        INetFwRules *rules = NULL;
        INetFwRule *r1 = NULL;
        INetFwRule3 *r = NULL;
        bool com = false;
        HRESULT hr = fw_rules(&rules, &com);
        wchar_t *n = wide(name);
        BSTR bn = n ? SysAllocString(n) : NULL;
        if (SUCCEEDED(hr))
                hr = bn ? INetFwRules_Item(rules, bn, &r1) : E_OUTOFMEMORY;
        if (SUCCEEDED(hr))
                hr = INetFwRule_QueryInterface(r1, &IID_INetFwRule3, (void **) &r);
        memset(ret, 0, sizeof(*ret));
        snprintf(ret->name, sizeof(ret->name), "%s", name);
        BSTR b = NULL;
        LONG l = 0;
        NET_FW_RULE_DIRECTION dir = NET_FW_RULE_DIR_IN;
        NET_FW_ACTION act = NET_FW_ACTION_ALLOW;
        if (SUCCEEDED(hr) && SUCCEEDED(hr = INetFwRule3_get_Description(r, &b)))
                copy_bstr(ret->description, sizeof(ret->description), b);
        if (SUCCEEDED(hr) && SUCCEEDED(hr = INetFwRule3_get_RemoteAddresses(r, &b)))
                copy_bstr(ret->remote_addresses, sizeof(ret->remote_addresses), b);
        if (SUCCEEDED(hr) && SUCCEEDED(hr = INetFwRule3_get_LocalUserAuthorizedList(r, &b)))
                copy_bstr(ret->local_user_sddl, sizeof(ret->local_user_sddl), b);
        if (SUCCEEDED(hr) && SUCCEEDED(hr = INetFwRule3_get_Protocol(r, &l)))
                ret->protocol = (int) l;
        if (SUCCEEDED(hr) && SUCCEEDED(hr = INetFwRule3_get_Direction(r, &dir)))
                ret->outbound = dir == NET_FW_RULE_DIR_OUT;
        if (SUCCEEDED(hr) && SUCCEEDED(hr = INetFwRule3_get_Action(r, &act)))
                ret->block = act == NET_FW_ACTION_BLOCK;
        if (SUCCEEDED(hr))
                fw_narrowed(r, ret);
        if (SUCCEEDED(hr)) {
                /* several rules of one name: the first was read; the others would act unseen */
                long dup = fw_count_named(rules, n);
                char v[32];
                snprintf(v, sizeof(v), "%ld", dup);
                if (dup < 0)
                        narrowed_add(ret, "rules of this name", "(unreadable)");
                else if (dup > 1)
                        narrowed_add(ret, "rules of this name", v);
        }
        SysFreeString(bn);
        free(n);
        if (r)
                INetFwRule3_Release(r);
        if (r1)
                INetFwRule_Release(r1);
        fw_done(rules, com);
        return SUCCEEDED(hr) ? 0 : hr_fail(hr, err, es, "reading firewall rule", name);
}

/* ---- secrets and randomness ---- */

static int dpapi(bool protect, const uint8_t *in, size_t n, uint8_t **ret, size_t *ret_n) {
        DATA_BLOB a = {.cbData = (DWORD) n, .pbData = (BYTE *) (uintptr_t) in}, b = {0};
        BOOL ok = protect ? CryptProtectData(&a, L"bulwark", NULL, NULL, NULL,
                                             CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN, &b)
                          : CryptUnprotectData(&a, NULL, NULL, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN, &b);
        if (!ok)
                return protect ? map_error(GetLastError()) : -EBADMSG;
        *ret = malloc(b.cbData ? b.cbData : 1);
        if (*ret)
                memcpy(*ret, b.pbData, b.cbData);
        *ret_n = b.cbData;
        SecureZeroMemory(b.pbData, b.cbData);
        LocalFree(b.pbData);
        return *ret ? 0 : -ENOMEM;
}

static int r_protect(void *ctx, const uint8_t *in, size_t n, uint8_t **ret, size_t *ret_n) {
        (void) ctx;
        return dpapi(true, in, n, ret, ret_n);
}

static int r_unprotect(void *ctx, const uint8_t *in, size_t n, uint8_t **ret, size_t *ret_n) {
        (void) ctx;
        return dpapi(false, in, n, ret, ret_n);
}

static int r_random(void *ctx, uint8_t *out, size_t n) {
        (void) ctx;
        NTSTATUS s = BCryptGenRandom(NULL, out, (ULONG) n, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
        return s >= 0 ? 0 : -EIO;
}

/* ---- tokens and processes ---- */

static int r_own_token(void *ctx, bw_win_handle *ret, char *err, size_t es) {
        (void) ctx;
        HANDLE h = NULL;
        if (!OpenProcessToken(GetCurrentProcess(),
                              TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY | TOKEN_ADJUST_DEFAULT, &h))
                return fail(GetLastError(), err, es, "OpenProcessToken", "");
        *ret = (bw_win_handle) h;
        return 0;
}

static int r_logon_sid(void *ctx, bw_win_handle token, struct bw_win_sid *ret, char *err, size_t es) {
        (void) ctx;
        DWORD n = 0;
        GetTokenInformation((HANDLE) token, TokenGroups, NULL, 0, &n);
        TOKEN_GROUPS *g = malloc(n ? n : 1);
        if (!g)
                return -ENOMEM;
        int r = -ENOENT;
        if (!GetTokenInformation((HANDLE) token, TokenGroups, g, n, &n))
                r = fail(GetLastError(), err, es, "GetTokenInformation", "TokenGroups");
        else
                for (DWORD i = 0; i < g->GroupCount && r == -ENOENT; i++)
                        if ((g->Groups[i].Attributes & SE_GROUP_LOGON_ID) == SE_GROUP_LOGON_ID)
                                r = bw_win_sid_decode(g->Groups[i].Sid, GetLengthSid(g->Groups[i].Sid), ret, NULL);
        if (r == -ENOENT && err && es)
                snprintf(err, es, "the token has no logon session SID");
        free(g);
        return r;
}

/* A UTF-8 environment block (NAME=VALUE\0...\0\0) as UTF-16. */
static wchar_t *wide_block(const char *block) {
        size_t n = 0;
        while (block[n] || block[n + 1])
                n++;
        n += 2;
        int w = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, block, (int) n, NULL, 0);
        wchar_t *out = w > 0 ? malloc((size_t) w * sizeof(wchar_t)) : NULL;
        if (out && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, block, (int) n, out, w) != w) {
                free(out);
                return NULL;
        }
        return out;
}

struct launch {
        wchar_t *app, *cmd, *env, *dir;
        STARTUPINFOW si;
};

static int launch_prepare(const struct bw_win_process_spec *s, struct launch *l) {
        memset(l, 0, sizeof(*l));
        l->app = wide(s->application);
        l->cmd = wide(s->command_line); /* CreateProcess may write to it: our own copy */
        l->env = s->environment ? wide_block(s->environment) : NULL;
        l->dir = s->directory ? wide(s->directory) : NULL;
        l->si.cb = sizeof(l->si);
        l->si.dwFlags = STARTF_USESTDHANDLES;
        DWORD which[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
        HANDLE *dst[3] = {&l->si.hStdInput, &l->si.hStdOutput, &l->si.hStdError};
        for (int i = 0; i < 3; i++) {
                HANDLE h = s->stdio[i] ? (HANDLE) s->stdio[i] : GetStdHandle(which[i]);
                /* the child receives the runner's stdio (console or pipes) and nothing else the
                 * runner holds: it opens no other inheritable handle */
                if (h && h != INVALID_HANDLE_VALUE)
                        SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
                *dst[i] = h;
        }
        return l->app && l->cmd && (!s->environment || l->env) && (!s->directory || l->dir) ? 0 : -EINVAL;
}

static void launch_done(struct launch *l) {
        free(l->app);
        free(l->cmd);
        free(l->env);
        free(l->dir);
}

static int r_cpau(void *ctx, bw_win_handle token, const struct bw_win_process_spec *s, bw_win_handle *p,
                  bw_win_handle *t, char *err, size_t es) {
        (void) ctx;
        struct launch l;
        PROCESS_INFORMATION pi = {0};
        int r = launch_prepare(s, &l);
        if (r == 0 && !CreateProcessAsUserW((HANDLE) token, l.app, l.cmd, NULL, NULL, TRUE,
                                            CREATE_UNICODE_ENVIRONMENT | (s->suspended ? CREATE_SUSPENDED : 0), l.env,
                                            l.dir, &l.si, &pi))
                r = fail(GetLastError(), err, es, "CreateProcessAsUserW", s->application);
        launch_done(&l);
        if (r == 0) {
                *p = (bw_win_handle) pi.hProcess;
                *t = (bw_win_handle) pi.hThread;
        }
        return r;
}

static int r_cpwl(void *ctx, const char *user, const char *pw, const struct bw_win_process_spec *s, bw_win_handle *p,
                  bw_win_handle *t, char *err, size_t es) {
        (void) ctx;
        struct launch l;
        PROCESS_INFORMATION pi = {0};
        wchar_t *wu = wide(user), *wp = wide(pw);
        int r = launch_prepare(s, &l);
        if (r == 0 && (!wu || !wp))
                r = -EINVAL;
        /* CreateProcessWithLogonW always gives the process a new console: keep its window hidden
         * (the runner's stdio are the caller's handles, STARTF_USESTDHANDLES) */
        l.si.dwFlags |= STARTF_USESHOWWINDOW;
        l.si.wShowWindow = SW_HIDE;
        if (r == 0 && !CreateProcessWithLogonW(wu, L".", wp, LOGON_WITH_PROFILE, l.app, l.cmd,
                                               CREATE_UNICODE_ENVIRONMENT | (s->suspended ? CREATE_SUSPENDED : 0),
                                               l.env, l.dir, &l.si, &pi))
                r = fail(GetLastError(), err, es, "CreateProcessWithLogonW", user);
        else if (r == 0 && (!pi.hProcess || !pi.hThread)) {
                /* success without a process: never taken for a started runner */
                if (err && es)
                        snprintf(err, es, "CreateProcessWithLogonW %s: reported success without a process", user);
                if (pi.hProcess)
                        CloseHandle(pi.hProcess);
                if (pi.hThread)
                        CloseHandle(pi.hThread);
                r = -EIO;
        }
        if (wp)
                SecureZeroMemory(wp, wcslen(wp) * sizeof(wchar_t));
        free(wu);
        free(wp);
        launch_done(&l);
        if (r == 0) {
                *p = (bw_win_handle) pi.hProcess;
                *t = (bw_win_handle) pi.hThread;
        }
        return r;
}

static int r_assign(void *ctx, bw_win_handle job, bw_win_handle p, char *err, size_t es) {
        (void) ctx;
        return AssignProcessToJobObject((HANDLE) job, (HANDLE) p)
                       ? 0
                       : fail(GetLastError(), err, es, "AssignProcessToJobObject", "");
}

static int r_resume(void *ctx, bw_win_handle t, char *err, size_t es) {
        (void) ctx;
        return ResumeThread((HANDLE) t) != (DWORD) -1 ? 0 : fail(GetLastError(), err, es, "ResumeThread", "");
}

static int r_wait(void *ctx, bw_win_handle p, uint32_t *code, char *err, size_t es) {
        (void) ctx;
        DWORD c = 0;
        if (WaitForSingleObject((HANDLE) p, INFINITE) != WAIT_OBJECT_0 || !GetExitCodeProcess((HANDLE) p, &c))
                return fail(GetLastError(), err, es, "waiting for the command", "");
        *code = c;
        return 0;
}

static int r_terminate(void *ctx, bw_win_handle p, uint32_t code) {
        (void) ctx;
        return TerminateProcess((HANDLE) p, code) ? 0 : map_error(GetLastError());
}

/* ---- a run: the state's files, the token's groups, the restricted token, the job ---- */

#define READ_FILE_MAX (1u << 20)

static int r_read_file(void *ctx, const char *path, uint8_t **ret, size_t *ret_n, char *err, size_t es) {
        (void) ctx;
        wchar_t *w = wide(path);
        if (!w)
                return -EINVAL;
        /* FILE_FLAG_OPEN_REPARSE_POINT: a link planted in place of the file is opened as itself,
         * then refused below, never followed */
        HANDLE h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                               FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_SEQUENTIAL_SCAN, NULL);
        free(w);
        if (h == INVALID_HANDLE_VALUE)
                return fail(GetLastError(), err, es, "opening", path);
        BY_HANDLE_FILE_INFORMATION info;
        int r = 0;
        if (!GetFileInformationByHandle(h, &info))
                r = fail(GetLastError(), err, es, "reading the attributes of", path);
        else if (info.dwFileAttributes & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY)) {
                if (err && es)
                        snprintf(err, es, "%s is a link or a directory, not a file", path);
                r = -EINVAL;
        } else if (info.nFileSizeHigh || info.nFileSizeLow > READ_FILE_MAX)
                r = -EFBIG;
        uint8_t *buf = NULL;
        DWORD n = 0;
        if (r == 0 && !(buf = malloc(info.nFileSizeLow ? info.nFileSizeLow : 1)))
                r = -ENOMEM;
        while (r == 0 && n < info.nFileSizeLow) {
                DWORD got = 0;
                if (!ReadFile(h, buf + n, info.nFileSizeLow - n, &got, NULL))
                        r = fail(GetLastError(), err, es, "reading", path);
                else if (got == 0)
                        break; /* shorter than it said: what was read */
                n += got;
        }
        CloseHandle(h);
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        *ret_n = n;
        return 0;
}

static int r_token_user(void *ctx, bw_win_handle token, struct bw_win_sid *ret, char *err, size_t es) {
        (void) ctx;
        union {
                TOKEN_USER u;
                uint8_t bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
        } buf;
        DWORD n = 0;
        if (!GetTokenInformation((HANDLE) token, TokenUser, &buf, sizeof(buf), &n))
                return fail(GetLastError(), err, es, "GetTokenInformation", "TokenUser");
        return bw_win_sid_decode(buf.u.User.Sid, GetLengthSid(buf.u.User.Sid), ret, NULL);
}

/* Is sid of domain's issuing authority: S-1-5-21-A-B-C-RID with domain's A-B-C? */
static bool same_domain(const struct bw_win_sid *sid, const struct bw_win_sid *domain) {
        if (sid->n_sub != 5 || domain->n_sub != 5 || memcmp(sid->authority, domain->authority, 6) != 0)
                return false;
        for (int i = 0; i < 4; i++)
                if (sid->sub[i] != domain->sub[i])
                        return false;
        return true;
}

static int r_token_groups(void *ctx, bw_win_handle token, const struct bw_win_sid *domain,
                          struct bw_win_token_group **ret, size_t *ret_n, char *err, size_t es) {
        (void) ctx;
        DWORD n = 0;
        GetTokenInformation((HANDLE) token, TokenGroups, NULL, 0, &n);
        TOKEN_GROUPS *g = malloc(n ? n : 1);
        if (!g)
                return -ENOMEM;
        if (!GetTokenInformation((HANDLE) token, TokenGroups, g, n, &n)) {
                int r = fail(GetLastError(), err, es, "GetTokenInformation", "TokenGroups");
                free(g);
                return r;
        }
        struct bw_win_token_group *out = calloc(g->GroupCount ? g->GroupCount : 1, sizeof(*out));
        if (!out) {
                free(g);
                return -ENOMEM;
        }
        size_t k = 0;
        for (DWORD i = 0; i < g->GroupCount; i++) {
                struct bw_win_token_group *x = &out[k];
                if (bw_win_sid_decode(g->Groups[i].Sid, GetLengthSid(g->Groups[i].Sid), &x->sid, NULL) < 0)
                        continue;
                x->attributes = g->Groups[i].Attributes;
                wchar_t name[BW_WIN_GROUP_NAME_MAX], dom[BW_WIN_GROUP_NAME_MAX];
                DWORD nn = BW_WIN_GROUP_NAME_MAX, dn = BW_WIN_GROUP_NAME_MAX;
                SID_NAME_USE use;
                /* a SID without a name (the logon session's) keeps "": it is never a bw-r- group */
                if ((!domain || same_domain(&x->sid, domain)) &&
                    LookupAccountSidW(NULL, g->Groups[i].Sid, name, &nn, dom, &dn, &use)) {
                        char *u = narrow(name);
                        if (u)
                                snprintf(x->name, sizeof(x->name), "%s", u);
                        free(u);
                }
                k++;
        }
        free(g);
        *ret = out;
        *ret_n = k;
        return 0;
}

static int r_restrict_token(void *ctx, bw_win_handle token, const struct bw_win_token_restriction *spec,
                            bw_win_handle *ret, char *err, size_t es) {
        (void) ctx;
        size_t n = spec->n_disable + spec->n_restrict;
        SID_AND_ATTRIBUTES *sa = calloc(n ? n : 1, sizeof(*sa));
        uint8_t *bytes = calloc(n ? n : 1, 68);
        if (!sa || !bytes) {
                free(sa);
                free(bytes);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                const struct bw_win_sid *sid =
                        i < spec->n_disable ? &spec->disable[i] : &spec->restrict_sids[i - spec->n_disable];
                bw_win_sid_encode(sid, bytes + 68 * i);
                sa[i].Sid = bytes + 68 * i;
        }
        HANDLE h = NULL;
        BOOL ok = CreateRestrictedToken((HANDLE) token, spec->flags, (DWORD) spec->n_disable,
                                        spec->n_disable ? sa : NULL, 0, NULL, (DWORD) spec->n_restrict,
                                        spec->n_restrict ? sa + spec->n_disable : NULL, &h);
        DWORD e = ok ? 0 : GetLastError();
        free(sa);
        free(bytes);
        if (!ok)
                return fail(e, err, es, "CreateRestrictedToken", "");
        if (spec->n_default_dacl) {
                DWORD size = sizeof(ACL);
                uint8_t sid[16][68];
                size_t n_sid = spec->n_default_dacl < 16 ? spec->n_default_dacl : 16;
                for (size_t i = 0; i < n_sid; i++) {
                        bw_win_sid_encode(&spec->default_dacl[i], sid[i]);
                        size += (DWORD) (sizeof(ACCESS_ALLOWED_ACE) - sizeof(DWORD) + GetLengthSid(sid[i]));
                }
                ACL *acl = calloc(1, size);
                ok = acl && InitializeAcl(acl, size, ACL_REVISION);
                for (size_t i = 0; ok && i < n_sid; i++)
                        ok = AddAccessAllowedAce(acl, ACL_REVISION, GENERIC_ALL, sid[i]);
                TOKEN_DEFAULT_DACL td = {.DefaultDacl = acl};
                if (ok)
                        ok = SetTokenInformation(h, TokenDefaultDacl, &td, sizeof(td));
                e = ok ? 0 : acl ? GetLastError() : ERROR_NOT_ENOUGH_MEMORY;
                free(acl);
                if (!ok) {
                        CloseHandle(h);
                        return fail(e, err, es, "SetTokenInformation", "TokenDefaultDacl");
                }
        }
        *ret = (bw_win_handle) h;
        return 0;
}

static int r_job_limited(void *ctx, const struct bw_win_job_limits *l, bw_win_handle *ret, char *err, size_t es) {
        (void) ctx;
        HANDLE j = CreateJobObjectW(NULL, NULL);
        if (!j)
                return fail(GetLastError(), err, es, "CreateJobObjectW", "");
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION li = {0};
        li.BasicLimitInformation.LimitFlags =
                JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
        if (l->processes) {
                li.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
                li.BasicLimitInformation.ActiveProcessLimit = l->processes;
        }
        if (l->memory) {
                li.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_JOB_MEMORY;
                li.JobMemoryLimit = (SIZE_T) l->memory;
        }
        DWORD e = 0;
        const char *what = "SetInformationJobObject";
        if (!SetInformationJobObject(j, JobObjectExtendedLimitInformation, &li, sizeof(li)))
                e = GetLastError();
        if (!e && l->cpu_millis) {
                /* CpuRate: hundredths of a percent of all the machine's processors. Best effort, as
                 * on Linux (where cpu.max needs a delegated cgroup): a Windows without CPU rate
                 * control (before 8, or Wine: ERROR_INVALID_PARAMETER) runs without the cap. */
                SYSTEM_INFO si;
                GetSystemInfo(&si);
                DWORD cpus = si.dwNumberOfProcessors ? si.dwNumberOfProcessors : 1;
                uint64_t rate = (uint64_t) l->cpu_millis * 10 / cpus;
                JOBOBJECT_CPU_RATE_CONTROL_INFORMATION cr = {0};
                cr.ControlFlags = JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP;
                cr.CpuRate = (DWORD) (rate < 1 ? 1 : rate > 10000 ? 10000 : rate);
                if (!SetInformationJobObject(j, JobObjectCpuRateControlInformation, &cr, sizeof(cr)) &&
                    GetLastError() != ERROR_INVALID_PARAMETER && GetLastError() != ERROR_NOT_SUPPORTED) {
                        e = GetLastError();
                        what = "SetInformationJobObject (CPU rate)";
                }
        }
        if (e) {
                CloseHandle(j);
                return fail(e, err, es, what, "");
        }
        *ret = (bw_win_handle) j;
        return 0;
}

static int r_create_process(void *ctx, const struct bw_win_process_spec *s, bw_win_handle *p, bw_win_handle *t,
                            char *err, size_t es) {
        (void) ctx;
        struct launch l;
        PROCESS_INFORMATION pi = {0};
        int r = launch_prepare(s, &l);
        if (r == 0 && !CreateProcessW(l.app, l.cmd, NULL, NULL, TRUE,
                                      CREATE_UNICODE_ENVIRONMENT | (s->suspended ? CREATE_SUSPENDED : 0), l.env, l.dir,
                                      &l.si, &pi))
                r = fail(GetLastError(), err, es, "CreateProcessW", s->application);
        launch_done(&l);
        if (r == 0) {
                *p = (bw_win_handle) pi.hProcess;
                *t = (bw_win_handle) pi.hThread;
        }
        return r;
}

void bw_win_ops_real(struct bw_win_ops *ops) {
        *ops = (struct bw_win_ops){
                .open_object = r_open,
                .final_path = r_final_path,
                .close_handle = r_close,
                .get_sd = r_get_sd,
                .set_dacl = r_set_dacl,
                .list_dir = r_list,
                .user_add = r_user_add,
                .user_del = r_user_del,
                .group_add = r_group_add,
                .group_del = r_group_del,
                .group_add_member = r_member,
                .group_has_member = r_has_member,
                .group_del_member = r_del_member,
                .account_sid = r_account_sid,
                .fw_add = r_fw_add,
                .fw_remove = r_fw_remove,
                .fw_get = r_fw_get,
                .protect = r_protect,
                .unprotect = r_unprotect,
                .random = r_random,
                .own_token = r_own_token,
                .token_logon_sid = r_logon_sid,
                .create_process_as_user = r_cpau,
                .create_process_with_logon = r_cpwl,
                .job_assign = r_assign,
                .resume_thread = r_resume,
                .wait_process = r_wait,
                .terminate_process = r_terminate,
                .read_file = r_read_file,
                .token_user = r_token_user,
                .token_groups = r_token_groups,
                .restrict_token = r_restrict_token,
                .job_create_limited = r_job_limited,
                .create_process = r_create_process,
        };
}

/* -- the per-user state directory (bulwark.exe not elevated, and the runner it starts) -- */

int bw_win_caller_sid(struct bw_win_sid *ret) {
        HANDLE t;
        uint8_t buf[512];
        DWORD n = 0;
        if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &t))
                return -EIO;
        BOOL ok = GetTokenInformation(t, TokenUser, buf, sizeof(buf), &n);
        CloseHandle(t);
        if (!ok)
                return -EIO;
        PSID sid = ((TOKEN_USER *) (void *) buf)->User.Sid;
        size_t used = 0;
        return bw_win_sid_decode((const uint8_t *) sid, GetLengthSid(sid), ret, &used) < 0 ? -EIO : 0;
}

int bw_win_make_dir_sd(const char *dir, const uint8_t *sd) {
        wchar_t w[MAX_PATH];
        if (MultiByteToWideChar(CP_UTF8, 0, dir, -1, w, MAX_PATH) <= 0)
                return -ENAMETOOLONG;
        SECURITY_ATTRIBUTES sa = {.nLength = sizeof(sa), .lpSecurityDescriptor = (void *) (uintptr_t) sd};
        if (CreateDirectoryW(w, sd ? &sa : NULL))
                return 0;
        DWORD e = GetLastError();
        return e == ERROR_ALREADY_EXISTS   ? -EEXIST
               : e == ERROR_ACCESS_DENIED  ? -EACCES
               : e == ERROR_PATH_NOT_FOUND ? -ENOENT
                                           : -EIO;
}

int bw_win_user_dir_verify(const char *dir, char *why, size_t why_size) {
        struct bw_win_sid me;
        wchar_t w[MAX_PATH];
        if (bw_win_caller_sid(&me) < 0) {
                snprintf(why, why_size, "who you are cannot be read (the process token's user)");
                return -EACCES;
        }
        if (MultiByteToWideChar(CP_UTF8, 0, dir, -1, w, MAX_PATH) <= 0)
                return -ENAMETOOLONG;
        HANDLE h = CreateFileW(w, READ_CONTROL, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
                               FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
        if (h == INVALID_HANDLE_VALUE) {
                DWORD e = GetLastError();
                if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
                        return -ENOENT;
                snprintf(why, why_size, "it cannot be opened (Windows error %lu)", (unsigned long) e);
                return -EACCES;
        }
        FILE_ATTRIBUTE_TAG_INFO tag = {0};
        PSECURITY_DESCRIPTOR psd = NULL;
        int r = 0;
        if (!GetFileInformationByHandleEx(h, FileAttributeTagInfo, &tag, sizeof(tag)) ||
            (tag.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) || !(tag.FileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
                snprintf(why, why_size, "it is not a directory of its own (a reparse point, or a file)");
                r = -EPERM;
        } else if (GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, NULL,
                                   NULL, NULL, NULL, &psd) != ERROR_SUCCESS) {
                snprintf(why, why_size, "its security descriptor cannot be read");
                r = -EACCES;
        } else
                r = bw_win_user_state_check((const uint8_t *) psd, GetSecurityDescriptorLength(psd), &me, why,
                                            why_size);
        if (psd)
                LocalFree(psd);
        CloseHandle(h);
        return r;
}

int bw_win_set_dir_dacl(const char *dir, const uint8_t *sd) {
        wchar_t w[MAX_PATH];
        PSECURITY_DESCRIPTOR psd = (PSECURITY_DESCRIPTOR) (uintptr_t) sd;
        BOOL present = FALSE, defaulted = FALSE;
        PACL dacl = NULL;
        SECURITY_DESCRIPTOR_CONTROL control = 0;
        DWORD rev = 0;
        if (MultiByteToWideChar(CP_UTF8, 0, dir, -1, w, MAX_PATH) <= 0)
                return -ENAMETOOLONG;
        if (!IsValidSecurityDescriptor(psd) || !GetSecurityDescriptorDacl(psd, &present, &dacl, &defaulted) ||
            !present || !GetSecurityDescriptorControl(psd, &control, &rev))
                return -EINVAL;
        SECURITY_INFORMATION si =
                DACL_SECURITY_INFORMATION | ((control & SE_DACL_PROTECTED) ? PROTECTED_DACL_SECURITY_INFORMATION
                                                                           : UNPROTECTED_DACL_SECURITY_INFORMATION);
        DWORD e = SetNamedSecurityInfoW(w, SE_FILE_OBJECT, si, NULL, NULL, dacl, NULL);
        return e == ERROR_SUCCESS ? 0 : e == ERROR_ACCESS_DENIED ? -EACCES : -EIO;
}
