// Tables reflow on a narrow screen (WCAG 2.2, 1.4.10): the server already labels each
// cell with its column's heading and marks the table to stack (tables.py, jigsaw.css
// ".app-table--stacks"), so this works with scripts off. What is added here is the
// ARIA roles, so that assistive technology still reads a table when the stylesheet no
// longer lays it out as one.

export function stackTables(root = document) {
  for (const table of root.querySelectorAll("table.app-table--stacks")) {
    table.setAttribute("role", "table");
    for (const group of table.querySelectorAll(":scope > thead, :scope > tbody")) {
      group.setAttribute("role", "rowgroup");
    }
    for (const row of table.querySelectorAll(":scope > thead > tr, :scope > tbody > tr")) {
      row.setAttribute("role", "row");
    }
    for (const th of table.querySelectorAll(":scope > thead th")) {
      th.setAttribute("role", "columnheader");
    }
    for (const row of table.querySelectorAll(":scope > tbody > tr")) {
      for (const cell of row.children) {
        cell.setAttribute("role", cell.tagName === "TH" ? "rowheader" : "cell");
      }
    }
  }
}
