#!/usr/bin/env bats
# berth network connect / disconnect: a container joins or leaves a network while it runs
# (a new card, its address and names) or for its next start. Packets go only between the
# containers these tests make.
bats_require_minimum_version 1.5.0
load helpers
load network-helpers

# the IPv4 addresses of a container's cards other than lo, "ethN ADDR" a line each
cards() {
	b exec "$1" ip -o -4 addr show | awk '$2 != "lo" { print $2, $4 }' | sort
}

lease_on() { # CONTAINER NETWORK: its address there, from the leases
	leases | jq -r --arg id "$(id_of "$1")" --arg n "$2" '.[] | select(.id == $id and .network == $n) | .ip'
}

@test "connect: a running container gets a card with --ip and --alias; others reach it by name; disconnect takes it all away" {
	b network create cn-a
	web srv
	brun -d --name cli --network cn-a busybox sleep 300
	run b network connect --ip 10.89.250.7 --alias web cn-a srv
	echo "$output"
	[ "$status" -eq 125 ] # not in cn-a's subnet
	sub=$(b network inspect cn-a | jq -r '.[0].subnet')
	ip=${sub%.0/24}.77
	b network connect --ip "$ip" --alias web cn-a srv
	run cards srv
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == "eth1 $ip/24" ]]
	[ "$(lease_on srv cn-a)" = "$ip" ]
	# by name and by alias, from a container of that network
	run b exec cli wget -qO- http://srv/
	[ "$output" = srv-page ]
	run b exec cli wget -qO- http://web/
	[ "$output" = srv-page ]
	b inspect srv | jqe --arg ip "$ip" '.network_settings.networks["cn-a"].ip_address == $ip'
	b network inspect cn-a | jqe --arg ip "$ip" 'any(.[0].containers[]; .name == "srv" and .ip_address == $ip and .aliases == ["web"])'
	host_if=$(leases | jq -r --arg id "$(id_of srv)" '.[] | select(.id == $id and .network == "cn-a") | .host_if')
	[ -n "$host_if" ]
	ip link show "$host_if"
	# gone: the card, its lease, its veth, its name
	b network disconnect cn-a srv
	run cards srv
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "eth0 "* ]]
	[ -z "$(lease_on srv cn-a)" ]
	run ip link show "$host_if"
	[ "$status" -ne 0 ]
	run b exec cli grep -w web /etc/hosts
	[ "$status" -ne 0 ]
	run b exec srv wget -qO- http://127.0.0.1/
	[ "$output" = srv-page ]
	# and again, without settings: another card, an address of the network's choice
	b network connect cn-a srv
	run cards srv
	[ "${#lines[@]}" -eq 2 ]
	run b exec cli wget -qO- http://srv/
	[ "$output" = srv-page ]
}

@test "connect of a stopped container: its card comes with the next start, settings kept across restarts; rm leaves nothing" {
	b network create cn-b
	sub=$(b network inspect cn-b | jq -r '.[0].subnet')
	ip=${sub%.0/24}.9
	b create --name later busybox sleep 300
	b network connect --ip "$ip" --alias db cn-b later
	[ -z "$(lease_on later cn-b)" ]
	b start later
	run cards later
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == "eth1 $ip/24" ]]
	b stop -t 0 later
	[ -z "$(lease_on later cn-b)" ]
	b start later
	[ "$(lease_on later cn-b)" = "$ip" ]
	brun --rm --network cn-b busybox grep -qw db /etc/hosts
	id=$(id_of later)
	b rm -f later
	[ "$(leases | jq --arg id "$id" '[.[] | select(.id == $id)] | length')" -eq 0 ]
	[ -z "$(netns_left)" ]
	until_ok no_link "vb${id:0:11}"
	until_ok no_link "vb${id:0:10}g"
}

@test "connect and disconnect: bad input is one line, exit 125, nothing changed" {
	b network create cn-c
	sub=$(b network inspect cn-c | jq -r '.[0].subnet')
	brun -d --name c1 busybox sleep 300
	brun -d --name c2 --network cn-c --ip "${sub%.0/24}.5" busybox sleep 300
	brun -d --name hostnet --network none busybox sleep 300
	before=$(leases)
	bad 125 'no network "nope"' network connect nope c1
	bad 125 'no container "nope"' network connect cn-c nope
	bad 125 'is already on network "berth"' network connect berth c1
	bad 125 "is taken on network \"cn-c\"" network connect --ip "${sub%.0/24}.5" cn-c c1
	bad 125 'bad --ip `10.1.1.1`' network connect --ip 10.1.1.1 cn-c c1
	bad 125 'has no IPv6' network connect --ip6 fd00::5 cn-c c1
	bad 125 'bad --alias `-x`' network connect --alias -x cn-c c1
	bad 125 '--alias needs a user-created network' network connect --alias a berth c2
	bad 125 'has --network none' network connect cn-c hostnet
	bad 125 'expected NETWORK CONTAINER' network connect cn-c
	bad 125 'unknown option `--bogus`' network connect --bogus cn-c c1
	bad 125 'is not on network "cn-c"' network disconnect cn-c c1
	bad 125 "first network" network disconnect berth c1
	bad 125 'expected NETWORK CONTAINER' network disconnect cn-c
	[ "$(leases)" = "$before" ]
	run cards c1
	[ "${#lines[@]}" -eq 1 ]
	[ "$(b inspect c1 | jq '.network.more_networks // [] | length')" -eq 0 ]
}
