-- Used by docker-compose.yml: the three databases of the services (the native
-- stack creates the same ones in deploy/stack).
CREATE DATABASE accounts OWNER ledger;
CREATE DATABASE ledger OWNER ledger;
CREATE DATABASE readmodel OWNER ledger;
CREATE DATABASE transfers OWNER ledger;
