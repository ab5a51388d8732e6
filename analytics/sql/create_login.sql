-- A login whose only privileges come from its group role (forge_bi or forge_analyst). The
-- password arrives as a SCRAM verifier computed by the client, so no log line holds it.
create role {login} login password {password} in role {group_role}
connection limit {connection_limit}
