comment on role {login} is {comment}
