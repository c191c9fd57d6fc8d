-- Sample data for the local demo: customers with cards, emails and SSNs; orders; a payroll schema.
CREATE TABLE customers (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL,
  card_number text,
  ssn text,
  notes text
);
INSERT INTO customers (name, email, card_number, ssn, notes) VALUES
  ('Ada Lovelace',   'ada@example.com',    '4111 1111 1111 1111', '123-45-6789', 'VIP; account manager EMP-004211'),
  ('Grace Hopper',   'grace@example.org',  '5500-0000-0000-0004', '234-56-7890', 'prefers invoices by mail'),
  ('Alan Turing',    'alan@example.net',   '340000000000009',     '345-67-8901', 'API key on file: sk_live_4eC39HqLyjWDarjtT1zdp7dc'),
  ('Katherine Johnson', 'kj@example.com',  '6011000000000004',    '456-78-9012', 'IBAN GB82 WEST 1234 5698 7654 32');
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id int REFERENCES customers(id),
  amount_cents int NOT NULL,
  status text NOT NULL DEFAULT 'new'
);
INSERT INTO orders (customer_id, amount_cents, status) VALUES (1, 12900, 'new'), (2, 4500, 'new'), (3, 99900, 'paid'), (4, 2500, 'new');
CREATE SCHEMA payroll;
CREATE TABLE payroll.salaries (employee text, amount_cents int);
INSERT INTO payroll.salaries VALUES ('EMP-004211', 12000000);
