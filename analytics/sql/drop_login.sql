drop role {login}
