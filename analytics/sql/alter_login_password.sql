alter role {login} password {password}
