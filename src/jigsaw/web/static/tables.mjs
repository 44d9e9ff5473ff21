// Tables reflow on a narrow screen (WCAG 2.2, 1.4.10): below the tablet width each row
// becomes a block, and each cell shows its column's heading above it (jigsaw.css,
// ".app-table--stacks"). Roles are set explicitly so that assistive technology still
// reads a table when the stylesheet no longer lays it out as one.

export function stackTables(root = document) {
  for (const table of root.querySelectorAll("table.govuk-table")) {
    const heads = [...table.querySelectorAll(":scope > thead th")].map((th) =>
      th.textContent.trim(),
    );
    if (heads.length === 0) continue;
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
      [...row.children].forEach((cell, index) => {
        cell.setAttribute("role", cell.tagName === "TH" ? "rowheader" : "cell");
        if (heads[index]) cell.dataset.label = heads[index];
      });
    }
    table.classList.add("app-table--stacks");
  }
}
