DROP TABLE sessions;
DROP TABLE staff_users;
