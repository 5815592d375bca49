/* SPDX-License-Identifier: Apache-2.0 */
/* test_calllog.c - doctor's reading of the call records plugin_main writes: fields, quoting, a
 * record cut short, lines that are no record, and a round trip through cni_record_field. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rdmanet/doctor_calllog.h"
#include "rdmanet/plugin_main.h"
#include "unit.h"

static const char *s(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

static double n(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k));
}

static void test_record(void)
{
	char line[] = "2026-12-06T19:28:36.670Z rdmanet-ipam[4076] info cid=c2 ifname=net2: call "
		      "cmd=ADD result=error code=108 ms=20.256 network=rdma container=c2full "
		      "ifname=net2 api_calls=1 api_max=\"GET /apis/x\" msg=\"a \\\"b\\\" c\\\\d\"";
	cJSON *o = doctor_calllog_parse(line);

	CHECK(o != NULL);
	CHECK_STR(s(o, "time"), "2026-12-06T19:28:36.670Z");
	CHECK_STR(s(o, "plugin"), "rdmanet-ipam");
	CHECK_STR(s(o, "cmd"), "ADD");
	CHECK_STR(s(o, "result"), "error");
	CHECK_INT(n(o, "code"), 108);
	CHECK(n(o, "ms") > 20.255 && n(o, "ms") < 20.257);
	CHECK_STR(s(o, "network"), "rdma");
	CHECK_STR(s(o, "container"), "c2full");
	CHECK_STR(s(o, "ifname"), "net2");
	CHECK_STR(s(o, "msg"), "a \"b\" c\\d");
	CHECK(!cJSON_GetObjectItem(o, "api_max")); /* only the fields doctor shows */
	cJSON_Delete(o);
}

static void test_cut_short(void)
{
	/* a line cut at 1 KiB: the message without its closing quote */
	char line[] = "2026-12-06T19:28:36.670Z rdmanet[1] info cid=c ifname=i: call cmd=DEL "
		      "result=error code=7 ms=1.000 msg=\"half a mess";
	cJSON *o = doctor_calllog_parse(line);

	CHECK(o != NULL);
	CHECK_STR(s(o, "msg"), "half a mess");
	cJSON_Delete(o);
}

static void test_not_records(void)
{
	char warn[] = "2026-12-06T19:28:36.670Z rdmanet[1] warn cid=c ifname=i: call me maybe";
	char partial[] = "2026-12-06T19:28:36.670Z rdmanet[1] info cid=c ifname=i: call cmd=ADD";
	char noprefix[] = ": call cmd=ADD result=ok";
	char empty[] = "";

	CHECK(doctor_calllog_parse(warn) == NULL);
	CHECK(doctor_calllog_parse(partial) == NULL); /* no result */
	CHECK(doctor_calllog_parse(noprefix) == NULL);
	CHECK(doctor_calllog_parse(empty) == NULL);
}

static void test_round_trip(void)
{
	static const char *const msgs[] = {
		"plain", "with space", "q\"uote", "back\\slash\\", "'single' quotes: fine", ""
	};

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		char line[1024] = "2026-01-01T00:00:00.000Z rdmanet[1] info cid=c ifname=i: call "
				  "cmd=ADD result=error code=104 ms=1.500";
		cJSON *o;

		cni_record_field(line, sizeof(line), "msg", msgs[i]);
		o = doctor_calllog_parse(line);
		CHECK(o != NULL);
		CHECK_STR(s(o, "msg"), msgs[i]);
		cJSON_Delete(o);
	}
}

int main(void)
{
	RUN(test_record);
	RUN(test_cut_short);
	RUN(test_not_records);
	RUN(test_round_trip);
	UNIT_DONE();
}
