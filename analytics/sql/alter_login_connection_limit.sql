alter role {login} connection limit {connection_limit}
