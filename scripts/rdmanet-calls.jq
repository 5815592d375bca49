# rdmanet-calls.jq - the call records of rdmanet's and rdmanet-ipam's log files as JSON objects,
# one per CNI call: time, plugin, cmd, result, code, ms, network, container, ifname, the plugin's
# own fields (ipam_ms/ipam_runs; api_calls/api_ms/api_max_ms/api_max/conflicts) and msg on a
# failure; numeric fields as numbers. Other log lines are skipped.
#   jq -cR -f scripts/rdmanet-calls.jq /var/log/rdmanet.log
select(test(": call cmd="))
| sub("^(?<t>[^ ]+) (?<p>[^\\[ ]+)\\[[^:]*: call "; "time=\(.t) plugin=\(.p) ")
| [scan("([a-z_]+)=(\"(?:[^\"\\\\]|\\\\.)*\"|[^ ]*)")]
| map({key: .[0], value: (.[1] | if startswith("\"") then fromjson else . end)})
| from_entries
| with_entries(if (.key | test("(^|_)(ms|code|runs|calls|conflicts)$"))
	then .value |= tonumber else . end)
