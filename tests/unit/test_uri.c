/* Transport URI parsing and formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spod/err.h"
#include "transport/uri.h"

static void test_unix_absolute(void **state)
{
	struct spod_uri u;

	(void)state;
	assert_int_equal(spod_uri_parse(&u, "unix:///run/spod/enclave.sock"), SPOD_OK);
	assert_int_equal(u.kind, SPOD_URI_UNIX);
	assert_string_equal(u.path, "/run/spod/enclave.sock");
}

static void test_unix_relative(void **state)
{
	struct spod_uri u;

	(void)state;
	assert_int_equal(spod_uri_parse(&u, "unix://run/e.sock"), SPOD_OK);
	assert_int_equal(u.kind, SPOD_URI_UNIX);
	assert_string_equal(u.path, "run/e.sock");
}

static void test_unix_path_length(void **state)
{
	struct spod_uri u;
	char text[sizeof(u.path) + 16];
	size_t max = sizeof(u.path) - 1;

	(void)state;
	strcpy(text, "unix:///");
	memset(text + 8, 'a', max - 1);
	text[8 + max - 1] = '\0';
	assert_int_equal(spod_uri_parse(&u, text), SPOD_OK);
	assert_int_equal(strlen(u.path), max);

	strcat(text, "a");
	assert_int_equal(spod_uri_parse(&u, text), SPOD_E_BAD_URI);
	assert_int_equal(u.kind, 0);
	assert_int_equal(u.path[0], '\0');
}

static void test_tcp_ipv4(void **state)
{
	struct spod_uri u;

	(void)state;
	assert_int_equal(spod_uri_parse(&u, "tcp://127.0.0.1:7000"), SPOD_OK);
	assert_int_equal(u.kind, SPOD_URI_TCP);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 7000);

	assert_int_equal(spod_uri_parse(&u, "tcp://0.0.0.0:0"), SPOD_OK);
	assert_int_equal(u.port, 0);
	assert_int_equal(spod_uri_parse(&u, "tcp://10.1.2.3:65535"), SPOD_OK);
	assert_int_equal(u.port, 65535);
}

static void test_tcp_ipv6(void **state)
{
	struct spod_uri u;

	(void)state;
	assert_int_equal(spod_uri_parse(&u, "tcp://[::1]:8443"), SPOD_OK);
	assert_int_equal(u.kind, SPOD_URI_TCP);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 8443);

	/* Stored in canonical form. */
	assert_int_equal(spod_uri_parse(&u, "tcp://[0:0:0:0:0:0:0:1]:1"), SPOD_OK);
	assert_string_equal(u.host, "::1");
	assert_int_equal(spod_uri_parse(&u, "tcp://[FE80::A]:1"), SPOD_OK);
	assert_string_equal(u.host, "fe80::a");
}

static void test_vsock(void **state)
{
	struct spod_uri u;

	(void)state;
	assert_int_equal(spod_uri_parse(&u, "vsock://16:5000"), SPOD_OK);
	assert_int_equal(u.kind, SPOD_URI_VSOCK);
	assert_int_equal(u.cid, 16);
	assert_int_equal(u.port, 5000);

	assert_int_equal(spod_uri_parse(&u, "vsock://any:5000"), SPOD_OK);
	assert_int_equal(u.cid, SPOD_URI_VSOCK_CID_ANY);

	assert_int_equal(spod_uri_parse(&u, "vsock://4294967294:4294967295"), SPOD_OK);
	assert_int_equal(u.cid, 4294967294u);
	assert_int_equal(u.port, 4294967295u);

	assert_int_equal(spod_uri_parse(&u, "vsock://0:0"), SPOD_OK);
	assert_int_equal(u.cid, 0);
	assert_int_equal(u.port, 0);
}

static void test_rejected(void **state)
{
	static const char *const bad[] = {
	    "",
	    "unix://",
	    "unix:/tmp/x",
	    "UNIX:///tmp/x",
	    "http://127.0.0.1:80",
	    "udp://127.0.0.1:80",
	    "tcp://",
	    "tcp://127.0.0.1",
	    "tcp://127.0.0.1:",
	    "tcp://:80",
	    "tcp://127.0.0.1:65536",
	    "tcp://127.0.0.1:99999999999999999999",
	    "tcp://127.0.0.1:-1",
	    "tcp://127.0.0.1:+1",
	    "tcp://127.0.0.1: 1",
	    "tcp://127.0.0.1:1 ",
	    "tcp://127.0.0.1:08",
	    "tcp://1.2.3.4:08x",
	    "tcp://1.2.3.4:8x",
	    "tcp://1.2.3.4:0x10",
	    "tcp://1.2.3.4:1:2",
	    "tcp://localhost:1",
	    "tcp://example.com:443",
	    "tcp://1.2.3:80",
	    "tcp://1.2.3.256:80",
	    "tcp://1.2.3.4.5:80",
	    "tcp:// 1.2.3.4:80",
	    "tcp://::1:80",
	    "tcp://[::1]",
	    "tcp://[::1]:",
	    "tcp://[::1]80",
	    "tcp://[::1:80",
	    "tcp://[]:80",
	    "tcp://[127.0.0.1]:80",
	    "tcp://[fe80::1%eth0]:80",
	    "tcp://[::1]:65536",
	    "vsock://",
	    "vsock://3",
	    "vsock://3:",
	    "vsock://:5000",
	    "vsock://-1:5000",
	    "vsock://3:-1",
	    "vsock://4294967296:1",
	    "vsock://3:4294967296",
	    "vsock://18446744073709551617:1",
	    "vsock://ANY:1",
	    "vsock://anyx:1",
	    "vsock://3:5000x",
	    "vsock:// 3:5000",
	    "vsock://3:5000:1",
	};
	struct spod_uri u;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&u, 0xa5, sizeof(u));
		if (spod_uri_parse(&u, bad[i]) != SPOD_E_BAD_URI)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(u.kind, 0);
		assert_int_equal(u.port, 0);
		assert_int_equal(u.cid, 0);
	}
}

static void test_format_round_trip(void **state)
{
	static const char *const good[] = {
	    "unix:///run/spod/enclave.sock",
	    "unix://rel/e.sock",
	    "unix:///",
	    "tcp://127.0.0.1:0",
	    "tcp://127.0.0.1:65535",
	    "tcp://[::1]:8443",
	    "tcp://[2001:db8::42]:1",
	    "vsock://3:5000",
	    "vsock://any:5000",
	    "vsock://0:4294967295",
	};
	char text[256];
	struct spod_uri u;
	struct spod_uri v;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(spod_uri_parse(&u, good[i]), SPOD_OK);
		spod_uri_format(text, sizeof(text), &u);
		assert_string_equal(text, good[i]);
		assert_int_equal(spod_uri_parse(&v, text), SPOD_OK);
		assert_memory_equal(&u, &v, sizeof(u));
	}
}

static void test_format_canonical(void **state)
{
	char text[128];
	struct spod_uri u;

	(void)state;
	assert_int_equal(spod_uri_parse(&u, "tcp://[0:0:0:0:0:0:0:1]:99"), SPOD_OK);
	spod_uri_format(text, sizeof(text), &u);
	assert_string_equal(text, "tcp://[::1]:99");

	assert_int_equal(spod_uri_parse(&u, "vsock://4294967295:7"), SPOD_OK);
	spod_uri_format(text, sizeof(text), &u);
	assert_string_equal(text, "vsock://any:7");
}

static void test_format_truncates(void **state)
{
	char text[8];
	struct spod_uri u;

	(void)state;
	assert_int_equal(spod_uri_parse(&u, "unix:///a/long/path"), SPOD_OK);
	memset(text, 'x', sizeof(text));
	spod_uri_format(text, sizeof(text), &u);
	assert_string_equal(text, "unix://");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unix_absolute),    cmocka_unit_test(test_unix_relative),
	    cmocka_unit_test(test_unix_path_length), cmocka_unit_test(test_tcp_ipv4),
	    cmocka_unit_test(test_tcp_ipv6),         cmocka_unit_test(test_vsock),
	    cmocka_unit_test(test_rejected),         cmocka_unit_test(test_format_round_trip),
	    cmocka_unit_test(test_format_canonical), cmocka_unit_test(test_format_truncates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
