-- Session defaults of the login itself: settings of a group role never reach its members.
alter role {login} set {parameter} = {value}
